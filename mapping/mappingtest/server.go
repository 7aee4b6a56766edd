package mappingtest

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// server is the real FTPS front end over the world's users, on an
// explicit-TLS listener on 127.0.0.1.
type server struct {
	addr  string
	roots *x509.CertPool
}

func startServer(t *testing.T, users *mapping.Users) *server {
	t.Helper()
	dir := t.TempDir()
	cfg := ftps.DefaultConfig()
	cfg.Server.DataDir = dir
	cfg.Server.DataTimeout = 20 * time.Second
	cfg.Server.LoginFailures.Max = 0 // the attackers log in once, with the right password
	base := 20000 + rand.IntN(30000)
	cfg.Passive.PortRange = fmt.Sprintf("%d-%d", base, base+199)
	cfg.Listeners = []ftps.ListenerConfig{{Address: "127.0.0.1:0", TLS: ftps.TLSExplicit}}
	logs := &testenv.LogBuffer{}
	srv, err := ftps.New(cfg, users, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(l, ftps.TLSExplicit) }()
	t.Cleanup(func() {
		srv.Close()
		<-done
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	pemBytes, err := os.ReadFile(filepath.Join(dir, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pemBytes)
	return &server{addr: l.Addr().String(), roots: roots}
}

// dial logs user in with github.com/jlaffaye/ftp.
func (s *server) dial(t *testing.T, user, pass string) *ftpClient {
	t.Helper()
	c, err := ftp.Dial(s.addr, ftp.DialWithTimeout(20*time.Second), ftp.DialWithExplicitTLS(&tls.Config{
		RootCAs: s.roots, ServerName: "127.0.0.1", ClientSessionCache: tls.NewLRUClientSessionCache(8),
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Quit() })
	if err := c.Login(user, pass); err != nil {
		t.Fatal(err)
	}
	return &ftpClient{c: c}
}

// ftpClient attacks over the wire.
type ftpClient struct{ c *ftp.ServerConn }

func (f *ftpClient) retr(p string) (string, error) {
	r, err := f.c.Retr(p)
	if err != nil {
		return "", err
	}
	data, rerr := io.ReadAll(r)
	if err := r.Close(); err != nil {
		return "", err
	}
	return string(data), rerr
}

func (f *ftpClient) size(p string) error {
	_, err := f.c.FileSize(p)
	return err
}

func (f *ftpClient) list(p string) ([]string, error) {
	entries, err := f.c.List(p)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	return names, err
}

func (f *ftpClient) nlst(p string) ([]string, error) { return f.c.NameList(p) }

func (f *ftpClient) stor(p string, offset int64, data string) error {
	if offset > 0 {
		return f.c.StorFrom(p, strings.NewReader(data), uint64(offset))
	}
	return f.c.Stor(p, strings.NewReader(data))
}

func (f *ftpClient) appe(p, data string) error { return f.c.Append(p, strings.NewReader(data)) }
func (f *ftpClient) mkdir(p string) error      { return f.c.MakeDir(p) }
func (f *ftpClient) rename(from, to string) error {
	return f.c.Rename(from, to)
}
func (f *ftpClient) dele(p string) error  { return f.c.Delete(p) }
func (f *ftpClient) rmdir(p string) error { return f.c.RemoveDir(p) }
func (f *ftpClient) alive() error         { return f.c.NoOp() }
