package events

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// TestMutualTLS: a receiver on https with its own CA, asking for client
// certificates, gets events from a target with ca_file, client_cert and
// client_key; without the client certificate it gets none (the TLS
// handshake fails, and the target retries).
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	serverCA, clientCA := testenv.NewCA(t, "receiver CA"), testenv.NewCA(t, "sender CA")
	serverCA.WriteCA(t, filepath.Join(dir, "ca.pem"))
	testenv.WriteCert(t, filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key"),
		clientCA.Issue(t, testenv.Leaf{Subject: pkix.Name{CommonName: "ftpsbridge"}, Client: true}))
	clients := x509.NewCertPool()
	clients.AddCert(clientCA.Cert)

	got := make(chan string, 10)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.TLS.PeerCertificates[0].Subject.CommonName
	}))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{serverCA.Issue(t, testenv.Leaf{IPs: []net.IP{net.ParseIP("127.0.0.1")}})},
		ClientCAs:    clients,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}
	srv.StartTLS()
	defer srv.Close()

	cfg := testTarget(srv.URL)
	cfg.CAFile = filepath.Join(dir, "ca.pem")
	cfg.ClientCert, cfg.ClientKey = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	d := start(t, t.TempDir(), cfg)
	d.Event(uploadEvent("/m"))
	select {
	case cn := <-got:
		if cn != "ftpsbridge" {
			t.Errorf("client certificate %q", cn)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no event over mutual TLS")
	}

	noCert := testTarget(srv.URL)
	noCert.Name, noCert.CAFile, noCert.Retries = "nocert", cfg.CAFile, -1
	d2 := start(t, t.TempDir(), noCert)
	d2.Event(uploadEvent("/n"))
	waitFor(t, func() bool { return counter(t, d2, "failed", "nocert") >= 1 })
	if n := counter(t, d2, "sent", "nocert"); n != 0 {
		t.Errorf("sent without a client certificate: %v", n)
	}
}
