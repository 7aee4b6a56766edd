package mapping

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/ftps"
)

// testCert makes a self-signed client certificate. Login does not verify
// chains (crypto/tls has, before Login sees a certificate), so no CA is
// needed here.
func testCert(t *testing.T, subject pkix.Name, edit func(*x509.Certificate)) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      subject,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if edit != nil {
		edit(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func binding(t *testing.T, subjects ...string) certBinding {
	t.Helper()
	probs := &problems{}
	b := parseBindings(probs, UserConfig{CertSubjects: subjects})
	if len(probs.errs) > 0 {
		t.Fatalf("parseBindings(%q): %v", subjects, errors.Join(probs.errs...))
	}
	return b
}

func TestSubjectMatching(t *testing.T) {
	acme := testCert(t, pkix.Name{CommonName: "acme-batch", Organization: []string{"Acme"}}, nil)
	full := testCert(t, pkix.Name{CommonName: "acme-batch", Organization: []string{"Acme"}, Country: []string{"DE"},
		OrganizationalUnit: []string{"Ops, EU"}}, nil)
	serialised := testCert(t, pkix.Name{CommonName: "a+b=c", ExtraNames: []pkix.AttributeTypeAndValue{
		{Type: asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}, Value: "example"}}}, nil)
	tests := []struct {
		subject string
		cert    *x509.Certificate
		want    bool
	}{
		{"CN=acme-batch,O=Acme", acme, true},
		{"O=Acme,CN=acme-batch", acme, true},
		{"o=Acme, cn=acme-batch", acme, true},
		{"/O=Acme/CN=acme-batch", acme, true},
		{"2.5.4.3=acme-batch,2.5.4.10=Acme", acme, true},
		{"CN=acme-batch+O=Acme", acme, true},
		{`CN="acme-batch",O=Acme`, acme, true},
		{"CN=acme-batch", acme, false},             // fewer attributes than the certificate
		{"CN=acme-batch,O=Acme,C=DE", acme, false}, // more
		{"CN=Acme-Batch,O=Acme", acme, false},      // values are exact
		{"CN=acme-batch,O=Acme", full, false},      // the certificate has more
		{`C=DE,O=Acme,OU=Ops\, EU,CN=acme-batch`, full, true},
		{`C=DE,O=Acme,OU="Ops, EU",CN=acme-batch`, full, true},
		{`C=DE,O=Acme,OU=Ops\2C EU,CN=acme-batch`, full, true},
		{`CN=a\+b\=c,DC=example`, serialised, true},
		{`CN=a+b=c,DC=example`, serialised, false}, // unescaped "+" starts a new attribute
	}
	for _, tc := range tests {
		t.Run(tc.subject, func(t *testing.T) {
			dn, err := parseDN(tc.subject)
			if err != nil {
				if tc.want {
					t.Fatal(err)
				}
				return
			}
			if got := (certBinding{subjects: []distinguishedName{dn}}).matches(tc.cert); got != tc.want {
				t.Fatalf("matches(%s) = %v, want %v", tc.cert.Subject, got, tc.want)
			}
		})
	}
}

func TestAltNameAndFingerprintMatching(t *testing.T) {
	uri, _ := url.Parse("spiffe://acme/batch")
	c := testCert(t, pkix.Name{CommonName: "x"}, func(c *x509.Certificate) {
		c.DNSNames = []string{"batch.acme.example"}
		c.EmailAddresses = []string{"Ops@Acme.example"}
		c.URIs = []*url.URL{uri}
		c.IPAddresses = []net.IP{net.IPv4(192, 0, 2, 1)}
	})
	for subject, want := range map[string]bool{
		"DNS:batch.acme.example":  true,
		"dns:BATCH.acme.example":  true,
		"DNS:acme.example":        false,
		"email:Ops@acme.EXAMPLE":  true,
		"email:ops@acme.example":  false, // the local part is exact
		"URI:spiffe://acme/batch": true,
		"URI:spiffe://acme/Batch": false,
		"CN=x":                    true,
	} {
		if got := binding(t, subject).matches(c); got != want {
			t.Errorf("%s: matches = %v, want %v", subject, got, want)
		}
	}
	fp := FingerprintOf(c)
	colons := strings.ToUpper(fp[:2])
	for i := 2; i < len(fp); i += 2 {
		colons += ":" + strings.ToUpper(fp[i:i+2])
	}
	other := testCert(t, pkix.Name{CommonName: "x"}, nil)
	for _, f := range []string{fp, strings.ToUpper(fp), colons} {
		sum, err := parseFingerprint(f)
		if err != nil {
			t.Fatal(err)
		}
		b := certBinding{fingerprints: [][32]byte{sum}}
		if !b.matches(c) || b.matches(other) {
			t.Errorf("fingerprint %s: matches its certificate %v, another %v", f, b.matches(c), b.matches(other))
		}
	}
	if (certBinding{}).matches(nil) || binding(t, "CN=x").matches(nil) {
		t.Error("nil certificate matched")
	}
}

// certUsers has one user of each auth mode, bound to their own
// certificates, and a password user bound to none.
func certUsers(t *testing.T) (u *Users, certs map[string]*x509.Certificate) {
	certs = map[string]*x509.Certificate{
		"machine":  testCert(t, pkix.Name{CommonName: "machine", Organization: []string{"Acme"}}, nil),
		"both":     testCert(t, pkix.Name{CommonName: "both"}, func(c *x509.Certificate) { c.DNSNames = []string{"both.example"} }),
		"pw":       testCert(t, pkix.Name{CommonName: "pw"}, nil),
		"stranger": testCert(t, pkix.Name{CommonName: "stranger"}, nil),
	}
	u = testUsers(t, newTestBackend(),
		UserConfig{Name: "machine", Auth: "certificate", CertSubjects: []string{"O=Acme,CN=machine"},
			Backend: "mem", Prefix: "machine", Permissions: []string{"*"}},
		UserConfig{Name: "both", Auth: "certificate+password", PasswordHash: testBcrypt(t, "both-pw"),
			CertSubjects: []string{"DNS:both.example"}, Backend: "mem", Prefix: "both", Permissions: []string{"*"}},
		UserConfig{Name: "pwcert", PasswordHash: testBcrypt(t, "pwcert-pw"), CertFingerprints: []string{FingerprintOf(certs["pw"])},
			Backend: "mem", Prefix: "pwcert", Permissions: []string{"*"}},
		UserConfig{Name: "plain", PasswordHash: testBcrypt(t, "plain-pw"), Backend: "mem", Prefix: "plain",
			Permissions: []string{"*"}},
	)
	return u, certs
}

func TestCertificateLogin(t *testing.T) {
	u, certs := certUsers(t)
	tests := []struct {
		user, password, cert string // cert "" means none presented
		ok                   bool
	}{
		{"machine", "", "machine", true},
		{"machine", "anything", "machine", true},
		{"machine", "", "", false},
		{"machine", "", "pw", false},       // another user's certificate
		{"machine", "", "stranger", false}, // bound to nobody
		{"both", "both-pw", "both", true},
		{"both", "both-pw", "", false},
		{"both", "wrong", "both", false},
		{"both", "both-pw", "machine", false},
		{"pwcert", "pwcert-pw", "", true},
		{"pwcert", "pwcert-pw", "pw", true},
		{"pwcert", "pwcert-pw", "stranger", false},
		{"plain", "plain-pw", "", true},
		{"plain", "plain-pw", "stranger", false}, // a certificate must belong to the user
		{"plain", "plain-pw", "machine", false},
		{"nobody", "", "machine", false},
	}
	for _, tc := range tests {
		t.Run(tc.user+"/"+tc.cert+"/"+tc.password, func(t *testing.T) {
			info := ftps.LoginInfo{User: tc.user, Password: tc.password}
			if tc.cert != "" {
				info.PeerCertificates = []*x509.Certificate{certs[tc.cert]}
			}
			fs, err := u.Login(context.Background(), info)
			if tc.ok != (err == nil) {
				t.Fatalf("Login = %v, want ok %v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, errLoginFailed) {
				t.Fatalf("Login error %v is not the common login failure", err)
			}
			if fs != nil {
				fs.(*Session).Close()
			}
		})
	}
}

func TestPasswordRequired(t *testing.T) {
	u, certs := certUsers(t)
	tests := []struct {
		user, cert string
		want       bool
	}{
		{"machine", "machine", false},
		{"machine", "", true},
		{"machine", "pw", true},
		{"both", "both", true},
		{"pwcert", "pw", true},
		{"nobody", "machine", true},
	}
	for _, tc := range tests {
		var chain []*x509.Certificate
		if tc.cert != "" {
			chain = []*x509.Certificate{certs[tc.cert]}
		}
		if got := u.PasswordRequired(tc.user, chain); got != tc.want {
			t.Errorf("PasswordRequired(%s, %s) = %v, want %v", tc.user, tc.cert, got, tc.want)
		}
	}
}

// TestCertificateFailuresCostAHash proves that a failed certificate login
// checks a password hash like any other failure, so its timing tells
// nothing about the account.
func TestCertificateFailuresCostAHash(t *testing.T) {
	u, certs := certUsers(t)
	checks := 0
	u.onVerify = func(verifier) { checks++ }
	for _, tc := range []struct{ user, cert string }{
		{"machine", ""}, {"machine", "pw"}, {"nobody", "machine"}, {"both", "machine"},
	} {
		checks = 0
		info := ftps.LoginInfo{User: tc.user}
		if tc.cert != "" {
			info.PeerCertificates = []*x509.Certificate{certs[tc.cert]}
		}
		if _, err := u.Login(context.Background(), info); !errors.Is(err, backends.ErrPermission) {
			t.Fatalf("%s with %q: Login = %v", tc.user, tc.cert, err)
		}
		if checks != 1 {
			t.Errorf("%s with %q: %d hash checks, want 1", tc.user, tc.cert, checks)
		}
	}
}
