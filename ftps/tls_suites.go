package ftps

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// defaultCipherSuites are the TLS 1.2 suites offered when tls.cipher_suites
// is empty: forward-secret (ECDHE) key exchange with an AEAD cipher only.
// Go's own default adds the CBC-SHA1 suites, which testssl.sh reports as
// potentially vulnerable to LUCKY13; every client that speaks TLS 1.2
// properly (curl, lftp, FileZilla, WinSCP, Python ftplib, Java 8+, .NET
// 4.6+) has one of these. TLS 1.3 suites are not configurable in Go and
// are all AEAD.
var defaultCipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// cipherSuites returns the TLS 1.2 suites for names (IANA names, which
// are also Go's: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"), or the defaults
// for none. insecure lists the names Go itself calls insecure (RSA key
// exchange, CBC-SHA256), which are allowed for an old client but worth a
// warning. RC4 and 3DES are refused outright: they are broken, not old.
func cipherSuites(names []string) (ids []uint16, insecure []string, err error) {
	if len(names) == 0 {
		return slices.Clone(defaultCipherSuites), nil, nil
	}
	known := map[string]*tls.CipherSuite{}
	for _, cs := range tls.CipherSuites() {
		known[cs.Name] = cs
	}
	for _, cs := range tls.InsecureCipherSuites() {
		known[cs.Name] = cs
	}
	for i, name := range names {
		key := fmt.Sprintf("tls.cipher_suites.%d", i)
		cs := known[strings.TrimSpace(name)]
		switch {
		case cs == nil:
			return nil, nil, fielderr.New(key, "unknown cipher suite %q: want an IANA name such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", name)
		case !slices.Contains(cs.SupportedVersions, tls.VersionTLS12):
			return nil, nil, fielderr.New(key, "%s is a TLS 1.3 suite: TLS 1.3 suites are always on and cannot be chosen", cs.Name)
		case strings.Contains(cs.Name, "_RC4_") || strings.Contains(cs.Name, "_3DES_"):
			return nil, nil, fielderr.New(key, "%s is broken (RC4 or 3DES) and not allowed", cs.Name)
		case slices.Contains(ids, cs.ID):
			return nil, nil, fielderr.New(key, "%s is listed twice", cs.Name)
		}
		ids = append(ids, cs.ID)
		if cs.Insecure {
			insecure = append(insecure, cs.Name)
		}
	}
	return ids, insecure, nil
}

// applyCipherSuites sets cfg's TLS 1.2 suites from c and warns about the
// ones Go calls insecure.
func applyCipherSuites(cfg *tls.Config, c TLSConfig, log *slog.Logger) error {
	ids, insecure, err := cipherSuites(c.CipherSuites)
	if err != nil {
		return err
	}
	if len(insecure) > 0 {
		log.Warn("tls.cipher_suites allows suites without forward secrecy or with CBC; keep them only while an old client needs them",
			"suites", strings.Join(insecure, ","))
	}
	cfg.CipherSuites = ids
	return nil
}
