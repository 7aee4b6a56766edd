package ftps_test

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/ftps"
)

// handshake12 connects to the implicit listener offering only suite over
// TLS 1.2 and reports the handshake's result.
func handshake12(t *testing.T, ts *testServer, suite uint16) error {
	t.Helper()
	cfg := ts.clientTLS(t)
	cfg.MaxVersion = tls.VersionTLS12
	cfg.CipherSuites = []uint16{suite}
	conn, err := net.DialTimeout("tcp", ts.implicit, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	return tls.Client(conn, cfg).Handshake()
}

// TestCipherSuites: by default TLS 1.2 offers AEAD suites only, so a
// client that offers nothing but a CBC suite is refused; listing that
// suite in tls.cipher_suites lets it in.
func TestCipherSuites(t *testing.T) {
	const cbc = tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA // the self-signed certificate is ECDSA
	t.Run("default", func(t *testing.T) {
		ts := startServer(t)
		if err := handshake12(t, ts, cbc); err == nil {
			t.Fatal("a CBC-only TLS 1.2 client was accepted by default")
		}
		for _, aead := range []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256} {
			if err := handshake12(t, ts, aead); err != nil {
				t.Errorf("%s refused by default: %v", tls.CipherSuiteName(aead), err)
			}
		}
	})
	t.Run("configured", func(t *testing.T) {
		ts := startServer(t, func(s *setup) {
			s.cfg.TLS.CipherSuites = []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"}
		})
		if err := handshake12(t, ts, cbc); err != nil {
			t.Fatalf("CBC suite listed in tls.cipher_suites refused: %v", err)
		}
		if err := handshake12(t, ts, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256); err == nil {
			t.Fatal("a suite not listed in tls.cipher_suites was accepted")
		}
	})
}

// TestCipherSuitesValidation names the entry at fault.
func TestCipherSuitesValidation(t *testing.T) {
	for name, c := range map[string]struct {
		suites []string
		want   string
	}{
		"unknown":     {[]string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-SHA"}, "tls.cipher_suites.1: unknown"},
		"tls 1.3":     {[]string{"TLS_AES_128_GCM_SHA256"}, "tls.cipher_suites.0: TLS_AES_128_GCM_SHA256 is a TLS 1.3 suite"},
		"rc4":         {[]string{"TLS_ECDHE_RSA_WITH_RC4_128_SHA"}, "tls.cipher_suites.0: TLS_ECDHE_RSA_WITH_RC4_128_SHA is broken"},
		"3des":        {[]string{"TLS_RSA_WITH_3DES_EDE_CBC_SHA"}, "tls.cipher_suites.0: TLS_RSA_WITH_3DES_EDE_CBC_SHA is broken"},
		"twice":       {[]string{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"}, "tls.cipher_suites.1"},
		"rsa kex ok":  {[]string{"TLS_RSA_WITH_AES_128_GCM_SHA256"}, ""},
		"cbc-sha1 ok": {[]string{"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := ftps.DefaultConfig()
			cfg.Listeners = []ftps.ListenerConfig{{Address: "127.0.0.1:0", TLS: ftps.TLSExplicit}}
			cfg.TLS.CipherSuites = c.suites
			err := cfg.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("Validate() = %v, want %q", err, c.want)
			}
		})
	}
}
