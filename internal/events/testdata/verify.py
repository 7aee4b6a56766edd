# Verify an ftpsbridge webhook: verify(secret, signature_header, raw_body).
import hashlib, hmac, time

def verify(secret: bytes, header: str, body: bytes, tolerance: int = 300) -> bool:
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    t, sig = parts.get("t", ""), parts.get("v1", "")
    if not t.isdigit() or abs(time.time() - int(t)) > tolerance:
        return False  # malformed, or too old: a replay
    mac = hmac.new(secret, t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, sig)

if __name__ == "__main__":  # python3 verify.py SECRET HEADER < body
    import sys
    ok = verify(sys.argv[1].encode(), sys.argv[2], sys.stdin.buffer.read())
    sys.exit(0 if ok else 1)
