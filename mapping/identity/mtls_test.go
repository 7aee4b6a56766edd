package identity

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// TestProviderMutualTLS: a provider that demands a client certificate
// answers a server configured with client_cert/client_key, and one
// without them cannot log anyone in (421, fail closed). A provider whose
// certificate the ca_file does not vouch for is not trusted either.
func TestProviderMutualTLS(t *testing.T) {
	dir := t.TempDir()
	serverCA, clientCA := testenv.NewCA(t, "idp-server-ca"), testenv.NewCA(t, "idp-client-ca")
	srvCert := serverCA.Issue(t, testenv.Leaf{Subject: pkix.Name{CommonName: "idp"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	pool := x509.NewCertPool()
	pool.AddCert(clientCA.Cert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, goodUser)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{srvCert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	srv.StartTLS()
	defer srv.Close()
	caFile := filepath.Join(dir, "ca.pem")
	serverCA.WriteCA(t, caFile)
	certFile, keyFile := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	testenv.WriteCert(t, certFile, keyFile, clientCA.Issue(t, testenv.Leaf{Subject: pkix.Name{CommonName: "ftpsbridge"}, Client: true}))

	c := Default()
	c.Type, c.URL, c.CAFile = "http", srv.URL+"/login", caFile
	t.Run("without a client certificate", func(t *testing.T) {
		u := newUsers(t, nil, c)
		if _, err := login(u, "acme", "right"); !errors.Is(err, ftps.ErrAuthUnavailable) {
			t.Fatalf("Login = %v, want ErrAuthUnavailable", err)
		}
	})
	t.Run("with client_cert", func(t *testing.T) {
		c := c
		c.ClientCert, c.ClientKey = certFile, keyFile
		u := newUsers(t, nil, c)
		if _, err := login(u, "acme", "right"); err != nil {
			t.Fatalf("Login: %v", err)
		}
	})
	t.Run("untrusted provider certificate", func(t *testing.T) {
		c := c
		c.ClientCert, c.ClientKey = certFile, keyFile
		other := filepath.Join(dir, "other-ca.pem")
		clientCA.WriteCA(t, other)
		c.CAFile = other
		u := newUsers(t, nil, c)
		if _, err := login(u, "acme", "right"); !errors.Is(err, ftps.ErrAuthUnavailable) {
			t.Fatalf("Login = %v, want ErrAuthUnavailable", err)
		}
	})
}
