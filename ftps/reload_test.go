package ftps_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// TestReloadTLS renews the server certificate and replaces the client CA
// bundle in place, as an operator does before SIGHUP: new connections get
// the new certificate and trust only the new CA, a session opened before
// keeps working (its data connections included), and a reload that cannot
// read its files changes nothing.
func TestReloadTLS(t *testing.T) {
	dir := t.TempDir()
	serverCA := testenv.NewCA(t, "server CA")
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	first := writeServerCert(t, serverCA, certFile, keyFile)
	p := newTestPKI(t)
	nextCA := testenv.NewCA(t, "next client CA")
	p.issue(t, nextCA, "next", pkix.Name{CommonName: "next"}, nil)
	ts := startServer(t, func(s *setup) {
		s.cfg.TLS.CertFile, s.cfg.TLS.KeyFile, s.cfg.TLS.ClientCAFile = certFile, keyFile, p.caFile
	})
	roots := x509.NewCertPool()
	roots.AddCert(serverCA.Cert)
	clientTLS := func(cert string) *tls.Config {
		c := &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", ClientSessionCache: tls.NewLRUClientSessionCache(4)}
		if cert != "" {
			// Always present it: Go's client would otherwise send none
			// when its issuer is not among the server's acceptable CAs.
			pair := p.certs[cert]
			c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }
		}
		return c
	}
	served := func(c *rawClient) []byte { return c.conn.(*tls.Conn).ConnectionState().PeerCertificates[0].Raw }
	// greet opens a TLS connection on the implicit listener presenting
	// cert and reads the greeting: a refused client certificate shows as
	// an alert there under TLS 1.3.
	greet := func(cert string) error {
		conn, err := net.DialTimeout("tcp", ts.implicit, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Client(conn, clientTLS(cert))
		if err := tc.Handshake(); err != nil {
			return err
		}
		_, err = bufio.NewReader(tc).ReadString('\n')
		return err
	}

	before := dialRaw(t, ts.explicit, false, clientTLS(""))
	before.secure()
	before.login("alice", "alice-pw")
	if !bytes.Equal(served(before), first) {
		t.Fatal("the server does not serve tls.cert_file")
	}
	if err := greet("machine"); err != nil {
		t.Fatalf("certificate from the configured CA: %v", err)
	}
	if err := greet("next"); err == nil {
		t.Fatal("a certificate from a CA not in client_ca_file was accepted")
	}

	renewed := writeServerCert(t, serverCA, certFile, keyFile)
	nextCA.WriteCA(t, p.caFile)
	if err := ts.srv.ReloadTLS(certFile, keyFile, p.caFile); err != nil {
		t.Fatal(err)
	}
	after := dialRaw(t, ts.explicit, false, clientTLS(""))
	after.secure()
	if !bytes.Equal(served(after), renewed) {
		t.Fatal("a connection after the reload got the old certificate")
	}
	if err := greet("next"); err != nil {
		t.Fatalf("certificate from the new CA after the reload: %v", err)
	}
	if err := greet("machine"); err == nil {
		t.Fatal("a certificate from the CA removed by the reload was accepted")
	}
	dc := before.openData(true)
	if code, text := before.upload("STOR kept.txt", dc, []byte("kept")); code != 226 {
		t.Fatalf("session opened before the reload: %d %s", code, text)
	}

	if err := ts.srv.ReloadTLS(certFile, filepath.Join(dir, "missing.pem"), p.caFile); err == nil {
		t.Fatal("a reload with a missing key succeeded")
	}
	again := dialRaw(t, ts.explicit, false, clientTLS(""))
	again.secure()
	if !bytes.Equal(served(again), renewed) {
		t.Fatal("a failed reload changed the certificate")
	}
}

// writeServerCert issues a server certificate for 127.0.0.1 from ca,
// writes it and its key, and returns its DER.
func writeServerCert(t *testing.T, ca *testenv.CA, certFile, keyFile string) []byte {
	t.Helper()
	cert := ca.Issue(t, testenv.Leaf{Subject: pkix.Name{CommonName: "ftpsbridge test server"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	testenv.WriteCert(t, certFile, keyFile, cert)
	return cert.Certificate[0]
}
