package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
	"github.com/jlaffaye/ftp"
	"golang.org/x/crypto/bcrypt"
)

// watchedServer serves a users_file at usersPath (written by the caller)
// and returns a login function and the log.
func watchedServer(t *testing.T, dir, usersPath string) (func(user string) error, *testenv.LogBuffer) {
	t.Helper()
	port := testenv.FreePort(t)
	base := 20000 + int(time.Now().UnixNano()%30000)
	cfgPath := filepath.Join(dir, "config.yaml")
	writeFile(t, cfgPath, fmt.Sprintf(`server: {data_dir: %s/state}
listeners: [{address: 127.0.0.1:%d, tls: explicit}]
passive: {port_range: %d-%d}
backends: [{name: disk, type: local, root: %s/files}]
users_file: %s
`, dir, port, base, base+99, dir, usersPath))
	_, logs, addr := serveConfig(t, cfgPath, port)
	pool := x509.NewCertPool()
	pemBytes, _ := os.ReadFile(filepath.Join(dir, "state", "tls", "cert.pem"))
	pool.AppendCertsFromPEM(pemBytes)
	login := func(user string) error {
		c, err := ftp.Dial(addr, ftp.DialWithTimeout(10*time.Second),
			ftp.DialWithExplicitTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}))
		if err != nil {
			return err
		}
		defer c.Quit()
		return c.Login(user, "pw")
	}
	return login, logs
}

func testHash(t *testing.T) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), 10)
	if err != nil {
		t.Fatal(err)
	}
	return string(hash)
}

// TestUsersFileWatched edits the users_file in place, with no signal: the
// server reloads it by itself; a broken version is logged and changes
// nothing; fixing it applies again.
func TestUsersFileWatched(t *testing.T) {
	dir := t.TempDir()
	hash := testHash(t)
	usersPath := filepath.Join(dir, "users.yaml")
	writeFile(t, usersPath, usersYAML(t, hash, "first:first"))
	login, logs := watchedServer(t, dir, usersPath)
	if err := login("first"); err != nil {
		t.Fatal(err)
	}

	writeFile(t, usersPath, usersYAML(t, hash, "first:first", "second:second"))
	waitLog(t, logs, `"msg":"users reloaded"`, 1)
	if err := login("second"); err != nil {
		t.Fatalf("user added to the watched file: %v", err)
	}

	writeFile(t, usersPath, "- name: third\n  colour: red\n")
	waitLog(t, logs, `"msg":"reload failed; keeping the current users"`, 1)
	if !strings.Contains(logs.String(), `users.yaml:2:3: unknown key \"colour\"`) {
		t.Errorf("the failed reload does not name the file and line:\n%s", logs.String())
	}
	for _, u := range []string{"first", "second"} {
		if err := login(u); err != nil {
			t.Errorf("%s after a broken users_file: %v", u, err)
		}
	}

	writeFile(t, usersPath, usersYAML(t, hash, "third:third"))
	waitLog(t, logs, `"msg":"users reloaded"`, 2)
	if err := login("third"); err != nil {
		t.Fatalf("fixed file: %v", err)
	}
	if err := login("first"); err == nil {
		t.Error("a user removed from the watched file still logs in")
	}
}

// TestUsersFileConfigMapSwap lays the users_file out as a Kubernetes
// ConfigMap volume does (users.yaml -> ..data/users.yaml, ..data -> a
// timestamped directory) and updates it the way the kubelet does: a new
// directory, a new ..data symlink renamed over the old one, the old
// directory removed. The file's own inode never changes.
func TestUsersFileConfigMapSwap(t *testing.T) {
	dir := t.TempDir()
	hash := testHash(t)
	volume := filepath.Join(dir, "configmap")
	version := func(name, users string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(volume, name), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(volume, name, "users.yaml"), users)
		tmp := filepath.Join(volume, "..data_tmp")
		if err := os.Symlink(name, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(volume, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	version("..2026_12_02_10_00_00.1", usersYAML(t, hash, "old:old"))
	if err := os.Symlink("..data/users.yaml", filepath.Join(volume, "users.yaml")); err != nil {
		t.Fatal(err)
	}
	login, logs := watchedServer(t, dir, filepath.Join(volume, "users.yaml"))
	if err := login("old"); err != nil {
		t.Fatal(err)
	}

	version("..2026_12_02_10_05_00.2", usersYAML(t, hash, "new:new"))
	if err := os.RemoveAll(filepath.Join(volume, "..2026_12_02_10_00_00.1")); err != nil {
		t.Fatal(err)
	}
	waitLog(t, logs, `"msg":"users reloaded"`, 1)
	if err := login("new"); err != nil {
		t.Fatalf("user of the new ConfigMap version: %v", err)
	}
	if err := login("old"); err == nil {
		t.Error("user of the old ConfigMap version still logs in")
	}
}
