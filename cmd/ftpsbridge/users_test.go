package main

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
	"github.com/jlaffaye/ftp"
	"golang.org/x/crypto/bcrypt"
)

func waitLog(t *testing.T, logs *testenv.LogBuffer, what string, count int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(logs.String(), what) < count {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log:\n%s", what, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func usersYAML(t *testing.T, hash string, users ...string) string {
	t.Helper()
	var b strings.Builder
	for _, u := range users {
		name, prefix, _ := strings.Cut(u, ":")
		fmt.Fprintf(&b, "- name: %s\n  password_hash: %q\n  backend: disk\n  prefix: %s/\n  permissions: [\"*\"]\n",
			name, hash, prefix)
	}
	return b.String()
}

// TestUsersFileReload serves users from a users_file, rewrites it and
// sends SIGHUP: a removed user's open session ends at its next command
// with 421, a remapped user's open session keeps its old mapping while new
// logins get the new one, a new user can log in, and a broken file keeps
// the users in force.
func TestUsersFileReload(t *testing.T) {
	dir := t.TempDir()
	port := testenv.FreePort(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), 10)
	if err != nil {
		t.Fatal(err)
	}
	usersFile := filepath.Join(dir, "users.yaml")
	writeFile(t, usersFile, usersYAML(t, string(hash), "gone:gone", "stays:old"))
	base := 20000 + int(time.Now().UnixNano()%30000)
	cfgPath := filepath.Join(dir, "config.yaml")
	writeFile(t, cfgPath, fmt.Sprintf(`server: {data_dir: %s/state}
listeners: [{address: 127.0.0.1:%d, tls: explicit}]
passive: {port_range: %d-%d}
backends: [{name: disk, type: local, root: %s/files}]
users_file: %s
`, dir, port, base, base+99, dir, usersFile))

	srv, logs, addr := serveConfig(t, cfgPath, port)
	pool := x509.NewCertPool()
	pemBytes, _ := os.ReadFile(filepath.Join(dir, "state", "tls", "cert.pem"))
	pool.AppendCertsFromPEM(pemBytes)
	dial := func(user string) (*ftp.ServerConn, error) {
		c, err := ftp.Dial(addr, ftp.DialWithTimeout(10*time.Second),
			ftp.DialWithExplicitTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}))
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { c.Quit() })
		return c, c.Login(user, "pw")
	}
	gone, err := dial("gone")
	if err != nil {
		t.Fatal(err)
	}
	stays, err := dial("stays")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dial("new"); err == nil {
		t.Fatal("a user not yet in the file logged in")
	}

	writeFile(t, usersFile, usersYAML(t, string(hash), "stays:moved", "new:new"))
	srv.Process.Signal(syscall.SIGHUP)
	waitLog(t, logs, `"msg":"users reloaded"`, 1)

	var te *textproto.Error
	if err := gone.NoOp(); !errors.As(err, &te) || te.Code != 421 {
		t.Fatalf("removed user's next command: %v, want 421", err)
	}
	if err := stays.Stor("a.txt", strings.NewReader("a")); err != nil {
		t.Fatalf("remaining user's open session: %v", err)
	}
	again, err := dial("stays")
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Stor("b.txt", strings.NewReader("b")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"old/a.txt", "moved/b.txt"} {
		if _, err := os.Stat(filepath.Join(dir, "files", f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := dial("new"); err != nil {
		t.Fatalf("added user: %v", err)
	}
	if _, err := dial("gone"); err == nil {
		t.Fatal("removed user logged in")
	}

	// A broken users file is reported and changes nothing.
	writeFile(t, usersFile, "- name: new\n  colour: red\n")
	srv.Process.Signal(syscall.SIGHUP)
	waitLog(t, logs, `"msg":"reload failed; keeping the current users"`, 1)
	if !strings.Contains(logs.String(), `users.yaml:2:3: unknown key \"colour\"`) {
		t.Errorf("reload error does not point at the users file:\n%s", logs.String())
	}
	if _, err := dial("new"); err != nil {
		t.Fatalf("failed reload changed the users: %v", err)
	}
	if err := stays.NoOp(); err != nil {
		t.Fatalf("failed reload ended a session: %v", err)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestCheckConfigMappingErrors runs check-config on a file with one of
// each problem the mapping can have, and checks each is reported with
// file and line, all in one run.
func TestCheckConfigMappingErrors(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	weak, err := bcrypt.GenerateFromPassword([]byte("pw"), 6)
	if err != nil {
		t.Fatal(err)
	}
	usersFile := filepath.Join(dir, "partners.yaml")
	writeFile(t, usersFile, "- name: beta\n  password_hash: nonsense\n  backend: disk\n  permissions: [list]\n")
	cfg := filepath.Join(dir, "bad.yaml")
	writeFile(t, cfg, fmt.Sprintf(`listeners: [{address: 127.0.0.1:2121, tls: explicit}]
tls: {client_ca_file: %s/missing-ca.pem}
backends: [{name: disk, type: local, root: %s/files}]
users_file: %s
users:
  - name: acme
    password_hash: %q
    mounts:
      - {path: /inbound, backend: s3, prefix: acme/in, permissions: [upload]}
      - {path: /inbound/x, backend: disk, prefix: acme/x, permissions: [list]}
`, dir, dir, usersFile, weak))
	out, err := exec.Command(bin, "check-config", "--config", cfg).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("check-config: %v\n%s", err, out)
	}
	for _, want := range []string{
		"bad.yaml:2:7: tls.client_ca_file: stat " + dir + "/missing-ca.pem: no such file or directory",
		"bad.yaml:7:5: users.0.password_hash: bcrypt cost 6 is too weak",
		`bad.yaml:9:26: users.0.mounts.0.backend: unknown backend "s3"`,
		`bad.yaml:10:10: users.0.mounts.1.path: mount path "/inbound/x" overlaps mounts.0.path "/inbound"`,
		"partners.yaml:2:3: users.0.password_hash: not a bcrypt",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("check-config output lacks %q:\n%s", want, out)
		}
	}
	good := writeConfig(t, dir, 2121)
	out, err = exec.Command(bin, "check-config", "--config", good).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok (1 listeners, 1 backends, 1 users)") {
		t.Fatalf("good config: %v\n%s", err, out)
	}
}

// TestTLSReloadOnSIGHUP renews the certificate in place (same paths, as
// an ACME client or a certificate manager does) and sends SIGHUP: the
// next connection gets the new certificate, with no restart and no
// "needs a restart" warning.
func TestTLSReloadOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	port := testenv.FreePort(t)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	ca := testenv.NewCA(t, "server CA")
	issue := func() *x509.Certificate {
		cert := ca.Issue(t, testenv.Leaf{Subject: pkix.Name{CommonName: "ftpsbridge"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
		testenv.WriteCert(t, certFile, keyFile, cert)
		return cert.Leaf
	}
	first := issue()
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), 10)
	if err != nil {
		t.Fatal(err)
	}
	base := 20000 + int(time.Now().UnixNano()%30000)
	cfgPath := filepath.Join(dir, "config.yaml")
	writeFile(t, cfgPath, fmt.Sprintf(`server: {data_dir: %s/state}
listeners: [{address: 127.0.0.1:%d, tls: explicit}]
tls: {cert_file: %s, key_file: %s}
passive: {port_range: %d-%d}
backends: [{name: disk, type: local, root: %s/files}]
users:
%s`, dir, port, certFile, keyFile, base, base+99, dir, usersYAML(t, string(hash), "u:u")))
	srv, logs, addr := serveConfig(t, cfgPath, port)

	// served logs in and returns the certificate the server presented.
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	served := func() *x509.Certificate {
		t.Helper()
		var got *x509.Certificate
		c, err := ftp.Dial(addr, ftp.DialWithTimeout(10*time.Second), ftp.DialWithExplicitTLS(&tls.Config{
			RootCAs: roots, ServerName: "127.0.0.1",
			VerifyConnection: func(cs tls.ConnectionState) error { got = cs.PeerCertificates[0]; return nil },
		}))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Quit()
		if err := c.Login("u", "pw"); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := served(); !got.Equal(first) {
		t.Fatal("the server does not present tls.cert_file")
	}
	renewed := issue()
	srv.Process.Signal(syscall.SIGHUP)
	waitLog(t, logs, `"msg":"tls reloaded"`, 1)
	if got := served(); !got.Equal(renewed) {
		t.Fatal("the renewed certificate is not served after SIGHUP")
	}
	if strings.Contains(logs.String(), "need a restart") {
		t.Errorf("a renewal in place was reported as needing a restart:\n%s", logs.String())
	}
}
