package ftps_test

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"errors"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// testPKI is a certificate authority and client certificates made at test
// time, written as PEM files for curl.
type testPKI struct {
	dir    string
	caFile string
	certs  map[string]tls.Certificate // by name; each also in dir as NAME.pem and NAME.key
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir(), certs: map[string]tls.Certificate{}}
	ca := testenv.NewCA(t, "ftpsbridge test CA")
	p.caFile = filepath.Join(p.dir, "ca.pem")
	ca.WriteCA(t, p.caFile)
	p.issue(t, ca, "machine", pkix.Name{CommonName: "acme-batch", Organization: []string{"Acme"}}, nil)
	p.issue(t, ca, "both", pkix.Name{CommonName: "both"}, []string{"both.acme.example"})
	p.issue(t, ca, "pwcert", pkix.Name{CommonName: "pwcert"}, nil)
	p.issue(t, ca, "stranger", pkix.Name{CommonName: "stranger", Organization: []string{"Elsewhere"}}, nil)
	// A certificate with the machine's very subject, from a CA the server
	// does not trust.
	p.issue(t, testenv.NewCA(t, "rogue CA"), "rogue", pkix.Name{CommonName: "acme-batch", Organization: []string{"Acme"}}, nil)
	return p
}

// issue makes a client certificate from ca, kept as name and written as
// NAME.pem and NAME.key for curl and lftp.
func (p *testPKI) issue(t *testing.T, ca *testenv.CA, name string, subject pkix.Name, dns []string) {
	t.Helper()
	cert := ca.Issue(t, testenv.Leaf{Subject: subject, DNS: dns, Client: true})
	testenv.WriteCert(t, filepath.Join(p.dir, name+".pem"), filepath.Join(p.dir, name+".key"), cert)
	p.certs[name] = cert
}

func (p *testPKI) fingerprint(name string) string {
	return mapping.FingerprintOf(p.certs[name].Leaf)
}

// startMTLSServer serves with tls.client_ca_file set and users bound to
// the test PKI's certificates, beside the default password users.
func startMTLSServer(t *testing.T, p *testPKI) *testServer {
	h := hashOnce()
	return startServer(t, func(s *setup) {
		s.cfg.TLS.ClientCAFile = p.caFile
		s.cfg.Server.LoginFailures.Max = 100 // these tests fail many logins on purpose
		s.users = append(s.users,
			mapping.UserConfig{Name: "machine", Auth: "certificate", CertSubjects: []string{"CN=acme-batch,O=Acme"},
				Backend: "mem", Prefix: "machine/", Permissions: []string{"*"}},
			mapping.UserConfig{Name: "both", Auth: "certificate+password", PasswordHash: h["bob-pw"],
				CertSubjects: []string{"DNS:both.acme.example"}, Backend: "mem", Prefix: "both/", Permissions: []string{"*"}},
			mapping.UserConfig{Name: "pwcert", PasswordHash: h["writer-pw"], CertFingerprints: []string{p.fingerprint("pwcert")},
				Backend: "mem", Prefix: "pwcert/", Permissions: []string{"*"}},
		)
	})
}

func TestClientCertificatesCurl(t *testing.T) {
	curl := testenv.Tool(t, "curl")
	p := newTestPKI(t)
	ts := startMTLSServer(t, p)
	src := filepath.Join(t.TempDir(), "up.txt")
	if err := os.WriteFile(src, []byte("by certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	curlWith := func(cert, user string, extra ...string) (string, error) {
		args := []string{"-sS", "--fail", "--cacert", ts.certFile, "--ssl-reqd", "--user", user}
		if cert != "" {
			args = append(args, "--cert", filepath.Join(p.dir, cert+".pem"), "--key", filepath.Join(p.dir, cert+".key"))
		}
		return run(t, nil, curl, append(args, extra...)...)
	}
	good := []struct{ name, cert, user, url, key string }{
		{"certificate only, explicit", "machine", "machine:", "ftp://" + ts.explicit, "machine/a.txt"},
		{"certificate only, implicit", "machine", "machine:", "ftps://" + ts.implicit, "machine/b.txt"},
		{"certificate and password", "both", "both:bob-pw", "ftp://" + ts.explicit, "both/c.txt"},
		{"password user with its certificate", "pwcert", "pwcert:writer-pw", "ftp://" + ts.explicit, "pwcert/d.txt"},
		{"password user without one", "", "pwcert:writer-pw", "ftp://" + ts.explicit, "pwcert/e.txt"},
		{"password user bound to none", "", "alice:alice-pw", "ftp://" + ts.explicit, "alice/f.txt"},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			url := tc.url + "/" + filepath.Base(tc.key)
			if out, err := curlWith(tc.cert, tc.user, "-T", src, url); err != nil {
				t.Fatalf("upload: %v\n%s", err, out)
			}
			if got, err := ts.readObject(t, tc.key); err != nil || string(got) != "by certificate\n" {
				t.Fatalf("stored %q, %v", got, err)
			}
			out, err := curlWith(tc.cert, tc.user, tc.url+"/")
			if err != nil || !strings.Contains(out, filepath.Base(tc.key)) {
				t.Fatalf("listing: %v\n%s", err, out)
			}
		})
	}
	if !strings.Contains(ts.logs.String(), `client_cert="CN=acme-batch,O=Acme" password=false`) {
		t.Error("the log does not name the certificate of a certificate-only login")
	}
	bad := []struct{ name, cert, user string }{
		{"certificate-only user without certificate", "", "machine:"},
		{"certificate-only user with another user's certificate", "pwcert", "machine:"},
		{"certificate-only user with an unbound certificate", "stranger", "machine:"},
		{"certificate and password without certificate", "", "both:bob-pw"},
		{"certificate and password with a wrong password", "both", "both:wrong"},
		{"password user with another user's certificate", "both", "pwcert:writer-pw"},
		{"password user with an unbound certificate", "stranger", "alice:alice-pw"},
		{"certificate from an untrusted CA", "rogue", "machine:"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			out, err := curlWith(tc.cert, tc.user, "ftp://"+ts.explicit+"/")
			if err == nil {
				t.Fatalf("logged in:\n%s", out)
			}
			if tc.cert == "rogue" {
				// The handshake fails; under TLS 1.3 the server's alert
				// arrives after the client's last flight, so curl's exit
				// code varies (35, 55, 56): the server's log says why.
				if !strings.Contains(ts.logs.String(), "certificate signed by unknown authority") {
					t.Fatalf("no failed handshake logged; curl: %v\n%s", err, out)
				}
				return
			}
			if !strings.Contains(out, "(67)") { // curl's "login denied"
				t.Fatalf("curl failed otherwise than with a 530: %v\n%s", err, out)
			}
		})
	}
}

// mtlsGoClient dials with github.com/jlaffaye/ftp presenting cert (if
// named), and logs in.
func mtlsGoClient(t *testing.T, ts *testServer, p *testPKI, cert, user, pass string) (*ftp.ServerConn, error) {
	t.Helper()
	cfg := ts.clientTLS(t)
	if cert != "" {
		cfg.Certificates = []tls.Certificate{p.certs[cert]}
	}
	c, err := ftp.Dial(ts.explicit, ftp.DialWithTimeout(10*time.Second), ftp.DialWithExplicitTLS(cfg))
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Quit() })
	return c, c.Login(user, pass)
}

func TestClientCertificatesGoClient(t *testing.T) {
	p := newTestPKI(t)
	ts := startMTLSServer(t, p)
	for _, tc := range []struct{ cert, user, pass string }{
		{"both", "both", "bob-pw"},
		{"pwcert", "pwcert", "writer-pw"},
		{"", "pwcert", "writer-pw"},
		{"", "alice", "alice-pw"},
	} {
		c, err := mtlsGoClient(t, ts, p, tc.cert, tc.user, tc.pass)
		if err != nil {
			t.Fatalf("%s with certificate %q: %v", tc.user, tc.cert, err)
		}
		if err := c.Stor("go.txt", strings.NewReader(tc.cert)); err != nil {
			t.Fatal(err)
		}
		if got := retr(t, c, "go.txt", 0); string(got) != tc.cert {
			t.Fatalf("read back %q", got)
		}
	}
	for _, tc := range []struct{ cert, user, pass string }{
		{"", "both", "bob-pw"},
		{"stranger", "pwcert", "writer-pw"},
		{"pwcert", "both", "bob-pw"},
		{"machine", "alice", "alice-pw"},
	} {
		_, err := mtlsGoClient(t, ts, p, tc.cert, tc.user, tc.pass)
		var te *textproto.Error
		if !errors.As(err, &te) || te.Code != 530 {
			t.Errorf("%s with certificate %q: %v, want 530", tc.user, tc.cert, err)
		}
	}
	// A certificate from an untrusted CA fails the handshake itself.
	if _, err := mtlsGoClient(t, ts, p, "rogue", "machine", ""); err == nil {
		t.Error("untrusted certificate accepted")
	}
}

// TestCertificateOnlyReplies checks the RFC 4217 exchange byte by byte:
// 232 after USER, no PASS, and transfers as usual. (The Go client cannot
// do this: github.com/jlaffaye/ftp v0.2.4 takes 232 for an error.)
func TestCertificateOnlyReplies(t *testing.T) {
	p := newTestPKI(t)
	ts := startMTLSServer(t, p)
	cfg := ts.clientTLS(t)
	cfg.Certificates = []tls.Certificate{p.certs["machine"]}
	c := dialRaw(t, ts.explicit, false, cfg)
	c.secure()
	if text := c.must("USER machine", 232); !strings.Contains(text, "authorized by client certificate") {
		t.Fatalf("232 text %q", text)
	}
	c.must("PASS anything", 503)
	if code, _ := c.upload("STOR m.txt", c.openData(true), []byte("machine")); code != 226 {
		t.Fatalf("STOR: %d", code)
	}
	if got, _ := ts.readObject(t, "machine/m.txt"); string(got) != "machine" {
		t.Fatalf("stored %q", got)
	}
	// The same certificate names no other user: they are asked for a
	// password like anyone, and refused.
	c2 := dialRaw(t, ts.explicit, false, cfg)
	c2.secure()
	c2.must("USER alice", 331)
	c2.must("PASS alice-pw", 530)
	c2.must("USER both", 331)
	c2.must("PASS bob-pw", 530)
	// Without a certificate, the certificate-only user is asked for a
	// password that no password satisfies.
	c3 := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
	c3.secure()
	c3.must("USER machine", 331)
	c3.must("PASS ", 530)
}

// TestClientCertificatesLftp logs in with lftp (GnuTLS) presenting a
// client certificate: a certificate-only account (232 after USER) and a
// certificate+password one.
func TestClientCertificatesLftp(t *testing.T) {
	lftp := testenv.Tool(t, "lftp")
	p := newTestPKI(t)
	ts := startMTLSServer(t, p)
	for _, tc := range []struct{ cert, login, key string }{
		{"machine", "machine,", "machine/l.txt"},
		{"both", "both,bob-pw", "both/l.txt"},
	} {
		t.Run(tc.cert, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "l.txt")
			os.WriteFile(src, []byte("lftp "+tc.cert), 0o600)
			settings := "set cmd:fail-exit true; set net:max-retries 1; set net:timeout 20; " +
				"set ftp:ssl-force true; set ftp:ssl-protect-data true; set ssl:ca-file " + ts.certFile + "; " +
				"set ssl:cert-file " + filepath.Join(p.dir, tc.cert+".pem") + "; " +
				"set ssl:key-file " + filepath.Join(p.dir, tc.cert+".key") + "; "
			out, err := run(t, []string{"HOME=" + t.TempDir()}, lftp, "-u", tc.login,
				"-e", settings+"put "+src+"; ls; bye", "ftp://"+ts.explicit)
			if err != nil || !strings.Contains(out, "l.txt") {
				t.Fatalf("lftp: %v\n%s", err, out)
			}
			if got, _ := ts.readObject(t, tc.key); string(got) != "lftp "+tc.cert {
				t.Fatalf("stored %q", got)
			}
		})
	}
}
