package mapping

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
)

// authMode is how a user proves who they are.
type authMode uint8

const (
	authPassword authMode = iota
	authCertificate
	authCertificateAndPassword
)

var authNames = []string{"password", "certificate", "certificate+password"}

func parseAuth(s string) (authMode, error) {
	if s == "" {
		return authPassword, nil
	}
	for i, n := range authNames {
		if s == n {
			return authMode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown auth %q (want %s)", s, strings.Join(authNames, ", "))
}

func (m authMode) String() string      { return authNames[m] }
func (m authMode) needsPassword() bool { return m != authCertificate }
func (m authMode) needsCert() bool     { return m != authPassword }

// certBinding is the set of client certificates bound to one user. A
// certificate matches if any one of its parts does.
type certBinding struct {
	fingerprints [][sha256.Size]byte
	subjects     []distinguishedName
	altNames     []altName
}

// matches reports whether the verified leaf certificate c is bound.
func (b certBinding) matches(c *x509.Certificate) bool {
	if c == nil {
		return false
	}
	sum := sha256.Sum256(c.Raw)
	for _, f := range b.fingerprints {
		if bytes.Equal(f[:], sum[:]) {
			return true
		}
	}
	if len(b.subjects) > 0 {
		subject := subjectOf(c)
		for _, dn := range b.subjects {
			if dn.equal(subject) {
				return true
			}
		}
	}
	for _, a := range b.altNames {
		if a.in(c) {
			return true
		}
	}
	return false
}

// parseBindings validates cert_fingerprints and cert_subjects, and that a
// user who must present a certificate has one bound.
func parseBindings(probs *problems, u UserConfig) certBinding {
	var b certBinding
	for j, f := range u.CertFingerprints {
		sum, err := parseFingerprint(f)
		if err != nil {
			probs.add(fmt.Sprintf("cert_fingerprints.%d", j), "%v", err)
			continue
		}
		b.fingerprints = append(b.fingerprints, sum)
	}
	for j, s := range u.CertSubjects {
		key := fmt.Sprintf("cert_subjects.%d", j)
		if a, ok, err := parseAltName(s); ok {
			if err != nil {
				probs.add(key, "%v", err)
			} else {
				b.altNames = append(b.altNames, a)
			}
			continue
		}
		dn, err := parseDN(s)
		if err != nil {
			probs.add(key, "%v (want a subject such as \"CN=acme-batch,O=Acme\" or a name such as \"DNS:batch.acme.example\")", err)
			continue
		}
		b.subjects = append(b.subjects, dn)
	}
	if auth, err := parseAuth(u.Auth); err == nil && auth.needsCert() &&
		len(u.CertFingerprints)+len(u.CertSubjects) == 0 {
		probs.add("auth", "auth: %s needs cert_fingerprints or cert_subjects to bind the user's certificate", auth)
	}
	return b
}

// parseFingerprint accepts the SHA-256 of a certificate's DER in hex, in
// either case, with or without colons or spaces ("AB:CD:..." as openssl
// x509 -fingerprint -sha256 prints it).
func parseFingerprint(s string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	h := strings.NewReplacer(":", "", " ", "").Replace(s)
	raw, err := hex.DecodeString(h)
	if err != nil || len(raw) != sha256.Size {
		return sum, fmt.Errorf("want the SHA-256 of the certificate's DER as %d hex digits (colons allowed), got %q",
			2*sha256.Size, s)
	}
	copy(sum[:], raw)
	return sum, nil
}

// FingerprintOf returns the fingerprint form cert_fingerprints uses for a
// certificate (for logs and tooling).
func FingerprintOf(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// altName is one subject alternative name a user is bound to.
type altName struct {
	kind  string // "DNS", "email" or "URI"
	value string
}

// parseAltName recognises "DNS:", "email:" and "URI:" entries (the
// prefixes are case-insensitive, as openssl writes them). ok is false for
// anything else, which is then parsed as a subject DN.
func parseAltName(s string) (a altName, ok bool, err error) {
	kind, value, found := strings.Cut(s, ":")
	if !found {
		return a, false, nil
	}
	for _, k := range []string{"DNS", "email", "URI"} {
		if strings.EqualFold(kind, k) {
			value = strings.TrimSpace(value)
			if value == "" {
				return a, true, fmt.Errorf("empty %s name", k)
			}
			return altName{kind: k, value: value}, true, nil
		}
	}
	return a, false, nil
}

// in reports whether certificate c carries the name. DNS names compare
// without regard to case; an e-mail address's domain does too, but its
// local part is exact (RFC 5280 section 7.5); a URI is exact.
func (a altName) in(c *x509.Certificate) bool {
	switch a.kind {
	case "DNS":
		for _, n := range c.DNSNames {
			if strings.EqualFold(n, a.value) {
				return true
			}
		}
	case "email":
		for _, n := range c.EmailAddresses {
			if sameEmail(n, a.value) {
				return true
			}
		}
	case "URI":
		for _, u := range c.URIs {
			if u.String() == a.value {
				return true
			}
		}
	}
	return false
}

func sameEmail(a, b string) bool {
	la, da, okA := strings.Cut(a, "@")
	lb, db, okB := strings.Cut(b, "@")
	return okA && okB && la == lb && strings.EqualFold(da, db)
}
