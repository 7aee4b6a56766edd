package admin

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
	"golang.org/x/crypto/bcrypt"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/memory"
	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// world is a real FTPS server over a memory backend, and the console
// over it on an httptest TLS server.
type world struct {
	ftpAddr string
	roots   *x509.CertPool
	api     *httptest.Server
	logs    *bytes.Buffer
	srv     *ftps.Server
}

func hash(t *testing.T, pw string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func newWorld(t *testing.T) *world {
	t.Helper()
	stores := map[string]backends.Backend{"mem": memory.New()}
	userHash, _ := mapping.HashPassword("partner-pw")
	users, err := mapping.New([]mapping.UserConfig{{
		Name: "acme", PasswordHash: userHash, Backend: "mem", Bucket: "b", Prefix: "acme",
		Permissions: []string{"list", "download", "upload"},
	}}, stores)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := ftps.DefaultConfig()
	cfg.Server.DataDir = dir
	base := 20000 + rand.IntN(30000)
	cfg.Passive.PortRange = fmt.Sprintf("%d-%d", base, base+99)
	cfg.Listeners = []ftps.ListenerConfig{{Address: "127.0.0.1:0", TLS: ftps.TLSExplicit}}
	srv, err := ftps.New(cfg, users, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(l, ftps.TLSExplicit) }()
	t.Cleanup(func() { srv.Close(); <-done })
	pemBytes, err := os.ReadFile(filepath.Join(dir, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pemBytes)

	logs := &bytes.Buffer{}
	userCfg := []mapping.UserConfig{{Name: "acme", PasswordHash: userHash, Backend: "mem", Bucket: "b", Prefix: "acme"}}
	console := New(Config{TokenTTL: time.Minute, Accounts: []Account{
		{Name: "ops", PasswordHash: hash(t, "ops-pw"), Role: RoleAdmin},
		{Name: "watch", PasswordHash: hash(t, "watch-pw"), Role: RoleViewer},
	}}, Deps{
		FTP: srv, Version: "test", Listeners: []string{l.Addr().String()},
		Log:   slog.New(slog.NewTextHandler(logs, nil)),
		Users: func() []UserView { return Views(userCfg, 1) },
	})
	api := httptest.NewTLSServer(console)
	t.Cleanup(api.Close)
	return &world{ftpAddr: l.Addr().String(), roots: roots, api: api, logs: logs, srv: srv}
}

func (w *world) dial(t *testing.T) *ftp.ServerConn {
	t.Helper()
	c, err := ftp.Dial(w.ftpAddr, ftp.DialWithTimeout(20*time.Second), ftp.DialWithExplicitTLS(&tls.Config{
		RootCAs: w.roots, ServerName: "127.0.0.1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("acme", "partner-pw"); err != nil {
		t.Fatal(err)
	}
	return c
}

// call sends a JSON request with a bearer token and returns the status
// and body.
func (w *world) call(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, w.api.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := w.api.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func (w *world) login(t *testing.T, name, pw string) string {
	t.Helper()
	code, body := w.call(t, "POST", "/api/login", "", loginRequest{Name: name, Password: pw})
	if code != http.StatusOK {
		t.Fatalf("login %s: %d %s", name, code, body)
	}
	var out struct{ Token string }
	json.Unmarshal(body, &out)
	return out.Token
}

func TestAPIAuth(t *testing.T) {
	w := newWorld(t)
	t.Run("no token", func(t *testing.T) {
		if code, _ := w.call(t, "GET", "/api/sessions", "", nil); code != http.StatusUnauthorized {
			t.Fatalf("got %d, want 401", code)
		}
	})
	t.Run("forged token", func(t *testing.T) {
		if code, _ := w.call(t, "GET", "/api/sessions", randomToken(), nil); code != http.StatusUnauthorized {
			t.Fatalf("got %d, want 401", code)
		}
	})
	t.Run("viewer reads, cannot act", func(t *testing.T) {
		tok := w.login(t, "watch", "watch-pw")
		if code, _ := w.call(t, "GET", "/api/status", tok, nil); code != http.StatusOK {
			t.Fatalf("status: %d", code)
		}
		if code, _ := w.call(t, "POST", "/api/bans", tok, banRequest{Address: "127.0.0.9"}); code != http.StatusForbidden {
			t.Fatalf("viewer ban: %d, want 403", code)
		}
	})
	t.Run("users never show hashes", func(t *testing.T) {
		tok := w.login(t, "watch", "watch-pw")
		_, body := w.call(t, "GET", "/api/users", tok, nil)
		if !strings.Contains(string(body), `"acme"`) || strings.Contains(string(body), "$2") {
			t.Fatalf("users: %s", body)
		}
	})
	t.Run("logout forgets the token", func(t *testing.T) {
		tok := w.login(t, "ops", "ops-pw")
		if code, _ := w.call(t, "POST", "/api/logout", tok, nil); code != http.StatusNoContent {
			t.Fatalf("logout: %d", code)
		}
		if code, _ := w.call(t, "GET", "/api/status", tok, nil); code != http.StatusUnauthorized {
			t.Fatalf("after logout: %d, want 401", code)
		}
	})
	t.Run("failed logins ban the address", func(t *testing.T) {
		for i := range maxFailures {
			code, _ := w.call(t, "POST", "/api/login", "", loginRequest{Name: "ops", Password: "wrong"})
			if code != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d, want 401", i, code)
			}
		}
		// Now even the right password is refused.
		if code, _ := w.call(t, "POST", "/api/login", "", loginRequest{Name: "ops", Password: "ops-pw"}); code != http.StatusTooManyRequests {
			t.Fatalf("after %d failures: %d, want 429", maxFailures, code)
		}
	})
}

// blockingReader feeds an upload a first chunk, then blocks until
// released, so the test can watch a transfer in progress.
type blockingReader struct {
	first   []byte
	release chan struct{}
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if len(b.first) > 0 {
		n := copy(p, b.first)
		b.first = b.first[n:]
		return n, nil
	}
	<-b.release
	return 0, io.EOF
}

func TestAPISessionsAndKick(t *testing.T) {
	w := newWorld(t)
	tok := w.login(t, "ops", "ops-pw")
	c := w.dial(t)
	defer c.Quit()
	body := &blockingReader{first: bytes.Repeat([]byte("x"), 100000), release: make(chan struct{})}
	stored := make(chan error, 1)
	go func() { stored <- c.Stor("big.bin", body) }()

	var sess []ftps.SessionInfo
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, data := w.call(t, "GET", "/api/sessions", tok, nil)
		sess = nil
		json.Unmarshal(data, &sess)
		if len(sess) == 1 && sess[0].Transfer != nil && sess[0].Transfer.Bytes == 100000 {
			break
		}
		if time.Now().After(deadline) {
			close(body.release)
			t.Fatalf("never saw the upload in progress: %s", data)
		}
	}
	s := sess[0]
	if s.User != "acme" || s.Transfer.Command != "STOR" || s.Transfer.Path != "/big.bin" || !s.Transfer.Upload {
		t.Fatalf("session: %+v, transfer %+v", s, *s.Transfer)
	}
	if code, _ := w.call(t, "DELETE", fmt.Sprintf("/api/sessions/%d", s.ID), tok, nil); code != http.StatusNoContent {
		t.Fatalf("kick: %d", code)
	}
	close(body.release) // the client's copy ends; the server has aborted
	if err := <-stored; err == nil {
		t.Fatal("the upload of a kicked session succeeded")
	}
	for deadline := time.Now().Add(20 * time.Second); len(w.srv.ActiveSessions()) > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("kicked session still open")
		}
	}
	_, data := w.call(t, "GET", "/api/transfers", tok, nil)
	var done []ftps.FinishedTransfer
	json.Unmarshal(data, &done)
	if len(done) != 1 || done[0].Result != "aborted" || done[0].User != "acme" {
		t.Fatalf("recent transfers: %s", data)
	}
	if !strings.Contains(w.logs.String(), "admin=ops") || !strings.Contains(w.logs.String(), `action="end session"`) {
		t.Fatalf("no audit line:\n%s", w.logs.String())
	}
	if code, _ := w.call(t, "DELETE", fmt.Sprintf("/api/sessions/%d", s.ID), tok, nil); code != http.StatusNotFound {
		t.Fatalf("kick of a closed session: %d, want 404", code)
	}
}

func TestAPIBans(t *testing.T) {
	w := newWorld(t)
	tok := w.login(t, "ops", "ops-pw")
	t.Run("bad address", func(t *testing.T) {
		if code, _ := w.call(t, "POST", "/api/bans", tok, banRequest{Address: "not-an-ip"}); code != http.StatusBadRequest {
			t.Fatalf("got %d, want 400", code)
		}
	})
	t.Run("ban refuses the FTP client, lift lets it in", func(t *testing.T) {
		if code, body := w.call(t, "POST", "/api/bans", tok, banRequest{Address: "127.0.0.1", Duration: "10m"}); code != http.StatusOK {
			t.Fatalf("ban: %d %s", code, body)
		}
		_, data := w.call(t, "GET", "/api/bans", tok, nil)
		if !strings.Contains(string(data), `"127.0.0.1"`) {
			t.Fatalf("bans: %s", data)
		}
		if _, err := ftp.Dial(w.ftpAddr, ftp.DialWithTimeout(10*time.Second)); err == nil || !strings.Contains(err.Error(), "421") {
			t.Fatalf("banned client connected: %v", err)
		}
		if code, _ := w.call(t, "DELETE", "/api/bans/127.0.0.1", tok, nil); code != http.StatusNoContent {
			t.Fatalf("lift: %d", code)
		}
		c := w.dial(t)
		c.Quit()
	})
}

// TestOpenAPIMatchesRoutes: every /api route is documented and every
// documented path is routed, with the same methods.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := New(Config{}, Deps{})
	routed := map[string]bool{}
	for _, r := range s.routes {
		method, path, _ := strings.Cut(r, " ")
		if strings.HasPrefix(path, "/api/") {
			routed[strings.ToLower(method)+" "+path] = true
		}
	}
	documented := map[string]bool{}
	for path, ops := range openAPIPaths(t) {
		for method := range ops {
			documented[method+" "+path] = true
		}
	}
	for r := range routed {
		if !documented[r] {
			t.Errorf("route %s is not in openapi.yaml", r)
		}
	}
	for d := range documented {
		if !routed[d] {
			t.Errorf("openapi.yaml documents %s, which is not routed", d)
		}
	}
}

// TestUsersNotEditable: without a users_file the write endpoints say
// why, and the page offers no form.
func TestUsersNotEditable(t *testing.T) {
	w := newWorld(t)
	tok := w.login(t, "ops", "ops-pw")
	edit := UserEdit{Name: "new", Password: "pw", Mounts: []MountView{{Path: "/", Backend: "mem", Permissions: []string{"*"}}}}
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/users"}, {"PUT", "/api/users/acme"}, {"DELETE", "/api/users/acme"}, {"POST", "/api/users/acme/disable"},
	} {
		var body any
		if c.method != "DELETE" && !strings.HasSuffix(c.path, "/disable") {
			body = edit
		}
		code, data := w.call(t, c.method, c.path, tok, body)
		if code != http.StatusConflict || !strings.Contains(string(data), "users_file") {
			t.Errorf("%s %s: %d %s, want 409 saying why", c.method, c.path, code, data)
		}
	}
	if strings.Contains(w.logs.String(), `action="add user"`) {
		t.Error("a refused add was audit-logged as done")
	}
}

// pageClient logs in through the login form and returns a client that
// carries the session cookie (and does not follow redirects).
func (w *world) pageClient(t *testing.T, name, pw string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: w.api.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(w.api.URL+"/login", url.Values{"name": {name}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("form login %s: %d", name, resp.StatusCode)
	}
	return c
}

// TestPartnerFormGuards: the partner form needs the admin role, and a
// post without the login's CSRF token is refused before anything runs.
func TestPartnerFormGuards(t *testing.T) {
	w := newWorld(t)
	viewer := w.pageClient(t, "watch", "watch-pw")
	resp, err := viewer.Get(w.api.URL + "/users/new")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer opens the partner form: %d, want 403", resp.StatusCode)
	}
	admin := w.pageClient(t, "ops", "ops-pw")
	resp, err = admin.PostForm(w.api.URL+"/users/new", url.Values{"name": {"x"}, "password": {"pw"}, "csrf": {"forged"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("post without the CSRF token: %d, want 403", resp.StatusCode)
	}
	resp, err = admin.Get(w.api.URL + "/users")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `id="readonly"`) || strings.Contains(string(page), `id="add-partner"`) {
		t.Fatalf("without a users_file the users page offers a form:\n%s", page)
	}
}
