package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/ftpsbridge/ftpsbridge/internal/config"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// console is a running `ftpsbridge serve` with the operator console on,
// users in a users_file (and one inline in config.yaml), files on disk.
type console struct {
	dir, cfgPath, usersPath string
	ftpAddr, url            string
	pool                    *x509.CertPool
	client                  *http.Client
	logs                    *testenv.LogBuffer
}

func startConsole(t *testing.T) *console {
	t.Helper()
	dir := t.TempDir()
	hash := testHash(t)
	c := &console{dir: dir, cfgPath: filepath.Join(dir, "config.yaml"), usersPath: filepath.Join(dir, "users", "users.yaml")}
	os.Mkdir(filepath.Join(dir, "users"), 0o755)
	writeFile(t, c.usersPath, "# partners\n"+usersYAML(t, hash, "acme:acme"))
	port, adminAddr := testenv.FreePort(t), testenv.FreeAddr(t)
	base := 20000 + int(time.Now().UnixNano()%30000)
	writeFile(t, c.cfgPath, fmt.Sprintf(`server: {data_dir: %s/state}
listeners: [{address: 127.0.0.1:%d, tls: explicit}]
passive: {port_range: %d-%d}
backends: [{name: disk, type: local, root: %s/files}]
users:
  - {name: local, password_hash: %q, backend: disk, prefix: local/, permissions: ["*"]}
users_file: %s
admin:
  address: %s
  accounts:
    - {name: ops, password_hash: %q, role: admin}
    - {name: watch, password_hash: %q, role: viewer}
`, dir, port, base, base+99, dir, hash, c.usersPath, adminAddr, hash, hash))
	_, c.logs, c.ftpAddr = serveConfig(t, c.cfgPath, port)
	c.url = "https://" + adminAddr
	c.pool = x509.NewCertPool()
	pemBytes, _ := os.ReadFile(filepath.Join(dir, "state", "tls", "cert.pem"))
	c.pool.AppendCertsFromPEM(pemBytes)
	c.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: c.pool, ServerName: "127.0.0.1"},
	}}
	return c
}

type answer struct {
	code int
	etag string
	body []byte
}

func (c *console) call(t *testing.T, method, path, token, ifMatch string, body any) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("ETag"), data}
}

func (c *console) token(t *testing.T, name string) string {
	t.Helper()
	a := c.call(t, "POST", "/api/login", "", "", map[string]string{"name": name, "password": "pw"})
	var out struct{ Token string }
	if json.Unmarshal(a.body, &out); a.code != http.StatusOK || out.Token == "" {
		t.Fatalf("console login %s: %d %s", name, a.code, a.body)
	}
	return out.Token
}

// ftpLogin logs in over FTPS and, if it works, uploads and lists.
func (c *console) ftpLogin(user, password string) error {
	conn, err := ftp.Dial(c.ftpAddr, ftp.DialWithTimeout(10*time.Second),
		ftp.DialWithExplicitTLS(&tls.Config{RootCAs: c.pool, ServerName: "127.0.0.1"}))
	if err != nil {
		return err
	}
	defer conn.Quit()
	if err := conn.Login(user, password); err != nil {
		return err
	}
	// A new name each time: the partner may lack the overwrite right.
	name := fmt.Sprintf("hello-%d.txt", time.Now().UnixNano())
	if err := conn.Stor(name, strings.NewReader("hello")); err != nil {
		return err
	}
	names, err := conn.NameList("/")
	if err != nil {
		return err
	}
	for _, n := range names {
		if strings.HasSuffix(n, name) {
			return nil
		}
	}
	return fmt.Errorf("%s not in the listing %v", name, names)
}

// loads checks that the users_file on disk is accepted by the loader.
func (c *console) loads(t *testing.T) string {
	t.Helper()
	if _, err := config.Load(c.cfgPath); err != nil {
		t.Fatalf("the loader refuses the configuration now: %v", err)
	}
	data, _ := os.ReadFile(c.usersPath)
	return string(data)
}

var initech = map[string]any{
	"name": "initech", "password": "initech-pw",
	"mounts": []map[string]any{{"path": "/", "backend": "disk", "prefix": "initech/", "permissions": []string{"*"}}},
}

// TestConsoleEditsUsers drives the users API of the real binary: each
// edit is judged by the loader, versioned, written, and in force at once
// (the partner logs in over FTPS, no SIGHUP).
func TestConsoleEditsUsers(t *testing.T) {
	c := startConsole(t)
	ops, watch := c.token(t, "ops"), c.token(t, "watch")
	list := c.call(t, "GET", "/api/users", watch, "", nil)
	if list.code != http.StatusOK || list.etag == "" || !strings.Contains(string(list.body), `"source":"config"`) {
		t.Fatalf("GET /api/users: %d etag %q %s", list.code, list.etag, list.body)
	}
	etag := list.etag

	t.Run("viewer is refused", func(t *testing.T) {
		if a := c.call(t, "POST", "/api/users", watch, etag, initech); a.code != http.StatusForbidden {
			t.Fatalf("viewer add: %d %s", a.code, a.body)
		}
		if a := c.call(t, "DELETE", "/api/users/acme", watch, etag, nil); a.code != http.StatusForbidden {
			t.Fatalf("viewer delete: %d", a.code)
		}
	})
	t.Run("If-Match is required", func(t *testing.T) {
		if a := c.call(t, "POST", "/api/users", ops, "", initech); a.code != http.StatusPreconditionRequired {
			t.Fatalf("add without If-Match: %d %s", a.code, a.body)
		}
	})
	t.Run("invalid: every problem, nothing written", func(t *testing.T) {
		before := c.loads(t)
		bad := map[string]any{"name": "bad", "password": "x", "mounts": []map[string]any{
			{"path": "/", "backend": "nowhere", "prefix": "../up", "permissions": []string{"fly"}}}}
		a := c.call(t, "POST", "/api/users", ops, etag, bad)
		var out struct {
			Problems []struct{ Key, Field, Message string }
		}
		json.Unmarshal(a.body, &out)
		if a.code != http.StatusUnprocessableEntity || len(out.Problems) != 3 {
			t.Fatalf("invalid add: %d %s", a.code, a.body)
		}
		for i, want := range []string{"backend", "prefix", "permissions.0"} {
			p := out.Problems[i]
			if p.Field != want || p.Key != "users.1."+want || !strings.HasPrefix(p.Message, c.usersPath+":") {
				t.Errorf("problem %d: %+v, want field %s with check-config's message", i, p, want)
			}
		}
		if c.loads(t) != before {
			t.Fatal("the users_file changed")
		}
	})

	add := c.call(t, "POST", "/api/users", ops, etag, initech)
	if add.code != http.StatusCreated || add.etag == "" || add.etag == etag {
		t.Fatalf("add: %d etag %q %s", add.code, add.etag, add.body)
	}
	if bytes.Contains(add.body, []byte("$2")) || bytes.Contains(add.body, []byte("initech-pw")) {
		t.Fatalf("the answer shows a secret: %s", add.body)
	}
	text := c.loads(t)
	if !strings.Contains(text, "# partners") || !strings.Contains(text, "name: acme") || strings.Contains(text, "initech-pw") || !strings.Contains(text, "$2a$") {
		t.Fatalf("users_file after add:\n%s", text)
	}
	if err := c.ftpLogin("initech", "initech-pw"); err != nil {
		t.Fatalf("the new partner, without SIGHUP: %v\n%s", err, c.logs.String())
	}
	if !strings.Contains(c.logs.String(), `"admin":"ops"`) || !strings.Contains(c.logs.String(), `"action":"add user"`) {
		t.Errorf("no audit line for the add:\n%s", c.logs.String())
	}

	t.Run("stale and hand-edited versions get 412", func(t *testing.T) {
		if a := c.call(t, "POST", "/api/users/initech/disable", ops, etag, nil); a.code != http.StatusPreconditionFailed {
			t.Fatalf("stale ETag: %d %s", a.code, a.body)
		}
		os.WriteFile(c.usersPath, []byte(text+"# a note by hand\n"), 0o600)
		if a := c.call(t, "POST", "/api/users/initech/disable", ops, add.etag, nil); a.code != http.StatusPreconditionFailed {
			t.Fatalf("after a hand edit: %d %s", a.code, a.body)
		}
		// The watch still reloads edits by hand.
		waitLog(t, c.logs, `"msg":"users_file changed; reloading"`, 1)
	})
	cur := c.call(t, "GET", "/api/users/initech", watch, "", nil)
	if cur.code != http.StatusOK || cur.etag == add.etag {
		t.Fatalf("GET user: %d %q %s", cur.code, cur.etag, cur.body)
	}

	t.Run("change keeps the password", func(t *testing.T) {
		changed := map[string]any{"name": "initech", "mounts": []map[string]any{
			{"path": "/", "backend": "disk", "prefix": "initech2/", "permissions": []string{"list", "upload"}}}}
		a := c.call(t, "PUT", "/api/users/initech", ops, cur.etag, changed)
		if a.code != http.StatusOK || !strings.Contains(string(a.body), `"prefix":"initech2/"`) {
			t.Fatalf("change: %d %s", a.code, a.body)
		}
		if !strings.Contains(c.loads(t), "# a note by hand") {
			t.Error("the change lost the hand edit")
		}
		if err := c.ftpLogin("initech", "initech-pw"); err != nil {
			t.Fatalf("after the change: %v", err)
		}
		if got, _ := filepath.Glob(filepath.Join(c.dir, "files", "initech2", "hello-*.txt")); len(got) != 1 {
			t.Fatalf("the new prefix is not in force: %v", got)
		}
		cur.etag = a.etag
	})
	t.Run("disable refuses the login, enable restores it", func(t *testing.T) {
		a := c.call(t, "POST", "/api/users/initech/disable", ops, cur.etag, nil)
		if a.code != http.StatusOK || !strings.Contains(string(a.body), `"disabled":true`) || !strings.Contains(c.loads(t), "disabled: true") {
			t.Fatalf("disable: %d %s", a.code, a.body)
		}
		if err := c.ftpLogin("initech", "initech-pw"); err == nil || !strings.Contains(err.Error(), "530") {
			t.Fatalf("a disabled partner logged in: %v", err)
		}
		a = c.call(t, "POST", "/api/users/initech/enable", ops, a.etag, nil)
		if a.code != http.StatusOK {
			t.Fatalf("enable: %d %s", a.code, a.body)
		}
		if err := c.ftpLogin("initech", "initech-pw"); err != nil {
			t.Fatalf("after enable: %v", err)
		}
		cur.etag = a.etag
	})
	t.Run("users of config.yaml are not edited", func(t *testing.T) {
		a := c.call(t, "DELETE", "/api/users/local", ops, cur.etag, nil)
		if a.code != http.StatusConflict || !strings.Contains(string(a.body), "users: section") {
			t.Fatalf("delete of an inline user: %d %s", a.code, a.body)
		}
	})
	t.Run("a failed write leaves the file intact", func(t *testing.T) {
		before := c.loads(t)
		unwritable(t, filepath.Dir(c.usersPath))
		a := c.call(t, "DELETE", "/api/users/initech", ops, cur.etag, nil)
		if a.code != http.StatusInternalServerError {
			t.Fatalf("delete in a read-only directory: %d %s", a.code, a.body)
		}
		if c.loads(t) != before {
			t.Fatal("the file changed")
		}
		if err := c.ftpLogin("initech", "initech-pw"); err != nil {
			t.Fatalf("after the failed write: %v", err)
		}
		restore(t, filepath.Dir(c.usersPath))
	})
	t.Run("delete", func(t *testing.T) {
		a := c.call(t, "DELETE", "/api/users/initech", ops, cur.etag, nil)
		if a.code != http.StatusNoContent || a.etag == "" {
			t.Fatalf("delete: %d %s", a.code, a.body)
		}
		if strings.Contains(c.loads(t), "initech") {
			t.Fatal("still in the file")
		}
		if err := c.ftpLogin("initech", "initech-pw"); err == nil {
			t.Fatal("a deleted partner logged in")
		}
		if err := c.ftpLogin("acme", "pw"); err != nil {
			t.Fatalf("the other partner: %v", err)
		}
	})
	// The console's own writes are applied once, not again by the watch:
	// only the edit by hand was reloaded by it.
	if n := strings.Count(c.logs.String(), `"msg":"users_file changed; reloading"`); n != 1 {
		t.Errorf("the watch reloaded %d times, want 1 (the hand edit)", n)
	}
}

// unwritable makes dir refuse new entries: chmod for a normal user, the
// immutable attribute for root (who ignores modes).
func unwritable(t *testing.T, dir string) {
	t.Helper()
	t.Cleanup(func() { restore(t, dir) })
	if os.Geteuid() != 0 {
		os.Chmod(dir, 0o555)
		return
	}
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Fatalf("chattr +i (to make a directory unwritable as root): %v %s", err, out)
	}
}

func restore(t *testing.T, dir string) {
	if os.Geteuid() == 0 {
		exec.Command("chattr", "-i", dir).Run()
	}
	os.Chmod(dir, 0o755)
}
