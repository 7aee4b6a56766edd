package identity

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"encoding/pem"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/memory"
	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// provider is a real HTTPS identity provider started by the test. Its
// handler answers by user name, so one server plays every case.
type provider struct {
	srv      *httptest.Server
	calls    atomic.Int32
	mu       sync.Mutex
	requests []mapping.IdentityRequest
	caFile   string
}

const goodUser = `{"user": {"backend": "mem", "prefix": "partners/acme/", "permissions": ["list", "download", "upload"], "max_sessions": 4}}`

func startProvider(t *testing.T) *provider {
	p := &provider{}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.calls.Add(1)
		var req mapping.IdentityRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.requests = append(p.requests, req)
		p.mu.Unlock()
		if req.Password != "right" && req.User != "hostile-huge" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		switch req.User {
		case "acme":
			io.WriteString(w, goodUser)
		case "mounts":
			io.WriteString(w, `{"user": {"home": "/in", "mounts": [
				{"path": "/in", "backend": "mem", "prefix": "in/", "permissions": ["upload"]},
				{"path": "/out", "backend": "mem", "prefix": "out/", "permissions": ["list", "download"]}]}}`)
		case "refused":
			io.WriteString(w, `{"refuse": true}`)
		case "slow":
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
			io.WriteString(w, goodUser)
		case "failing":
			http.Error(w, "database down", http.StatusInternalServerError)
		case "hostile-escape":
			io.WriteString(w, `{"user": {"mounts": [{"path": "/../../etc", "backend": "mem", "prefix": "x/", "permissions": ["list"]}]}}`)
		case "hostile-prefix":
			io.WriteString(w, `{"user": {"backend": "mem", "prefix": "../other/", "permissions": ["list"]}}`)
		case "hostile-backend":
			io.WriteString(w, `{"user": {"backend": "s3-prod", "permissions": ["list"]}}`)
		case "hostile-huge":
			w.Write([]byte(`{"user": {"backend": "mem", "home": "/` + strings.Repeat("a", MaxResponseBytes) + `"}}`))
		case "hostile-json":
			io.WriteString(w, `user: {backend: mem}`)
		case "hostile-key":
			io.WriteString(w, `{"user": {"backend": "mem", "permissions": ["list"], "admin": true}}`)
		case "hostile-creds":
			io.WriteString(w, `{"user": {"backend": "mem", "permissions": ["list"], "password_hash": "$2b$10$abcdefghijklmnopqrstuu5Jr0w8Yc1P9k1hQ0hE3o2v2c6mIu7HW"}}`)
		case "hostile-name":
			io.WriteString(w, `{"user": {"name": "admin", "backend": "mem", "permissions": ["list"]}}`)
		case "hostile-perm":
			io.WriteString(w, `{"user": {"backend": "mem", "permissions": ["root"]}}`)
		case "hostile-empty":
			io.WriteString(w, `{}`)
		case "hostile-redirect":
			http.Redirect(w, r, "https://127.0.0.1:1/steal", http.StatusTemporaryRedirect)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(p.srv.Close)
	p.caFile = filepath.Join(t.TempDir(), "ca.pem")
	der := p.srv.Certificate().Raw
	if err := os.WriteFile(p.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *provider) config() Config {
	c := Default()
	c.Type, c.URL, c.CAFile, c.Timeout = "http", p.srv.URL+"/ftps/login", p.caFile, time.Second
	return c
}

func newUsers(t *testing.T, p *provider, c Config, file ...mapping.UserConfig) *mapping.Users {
	t.Helper()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	u, err := mapping.New(file, map[string]backends.Backend{"mem": memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	idp, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	u.SetIdentityProvider(idp, c.Mode, c.CacheTTL, c.CacheMaxEntries)
	return u
}

func login(u *mapping.Users, user, password string) (ftps.FileSystem, error) {
	return u.Login(context.Background(), ftps.LoginInfo{User: user, Password: password,
		RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 40000}, Listener: "explicit", TLS: true})
}

func TestProviderAnswers(t *testing.T) {
	p := startProvider(t)
	u := newUsers(t, p, p.config())
	for _, tc := range []struct {
		name, user, password string
		want                 error // nil: logged in
	}{
		{"good", "acme", "right", nil},
		{"good with mounts", "mounts", "right", nil},
		{"wrong password (403)", "acme", "wrong", backends.ErrPermission},
		{"refused in the body", "refused", "right", backends.ErrPermission},
		{"unknown to the provider (404)", "nobody", "right", backends.ErrPermission},
		{"slow", "slow", "right", ftps.ErrAuthUnavailable},
		{"failing (5xx)", "failing", "right", ftps.ErrAuthUnavailable},
		{"mount escaping with ..", "hostile-escape", "right", ftps.ErrAuthUnavailable},
		{"prefix escaping with ..", "hostile-prefix", "right", ftps.ErrAuthUnavailable},
		{"unknown backend", "hostile-backend", "right", ftps.ErrAuthUnavailable},
		{"huge body", "hostile-huge", "right", ftps.ErrAuthUnavailable},
		{"not JSON", "hostile-json", "right", ftps.ErrAuthUnavailable},
		{"unknown key", "hostile-key", "right", ftps.ErrAuthUnavailable},
		{"credentials in the answer", "hostile-creds", "right", ftps.ErrAuthUnavailable},
		{"another user's name", "hostile-name", "right", ftps.ErrAuthUnavailable},
		{"unknown permission", "hostile-perm", "right", ftps.ErrAuthUnavailable},
		{"empty answer", "hostile-empty", "right", ftps.ErrAuthUnavailable},
		{"redirect", "hostile-redirect", "right", ftps.ErrAuthUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := login(u, tc.user, tc.password)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Login: %v", err)
				}
				if c, ok := fs.(io.Closer); ok {
					c.Close()
				}
				return
			}
			if !errors.Is(err, tc.want) || fs != nil {
				t.Fatalf("Login = %v, want %v", err, tc.want)
			}
			if errors.Is(tc.want, ftps.ErrAuthUnavailable) && errors.Is(err, backends.ErrPermission) {
				t.Fatalf("provider trouble %v counted as a failed login", err)
			}
			if strings.Contains(err.Error(), tc.password) && tc.password != "" {
				t.Fatalf("error %q quotes the password", err)
			}
		})
	}
}

func TestProviderRequest(t *testing.T) {
	p := startProvider(t)
	u := newUsers(t, p, p.config())
	if _, err := login(u, "acme", "right"); err != nil {
		t.Fatal(err)
	}
	want := mapping.IdentityRequest{User: "acme", Password: "right", ClientAddress: "127.0.0.2",
		Listener: "explicit", Protocol: "ftps"}
	if len(p.requests) != 1 || p.requests[0] != want {
		t.Fatalf("requests %+v, want %+v", p.requests, want)
	}
}

func TestProviderSessionUsesAnswer(t *testing.T) {
	p := startProvider(t)
	u := newUsers(t, p, p.config())
	fs, err := login(u, "mounts", "right")
	if err != nil {
		t.Fatal(err)
	}
	if fs.Home() != "/in" {
		t.Fatalf("Home = %q, want /in", fs.Home())
	}
	if r, ok := fs.(ftps.Revocable); !ok || r.Authorized() != nil {
		t.Fatal("provided session not authorized for its commands")
	}
}

func TestProviderCache(t *testing.T) {
	p := startProvider(t)
	u := newUsers(t, p, p.config())
	for range 3 {
		if _, err := login(u, "acme", "right"); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.calls.Load(); n != 1 {
		t.Fatalf("%d provider calls for 3 logins, want 1", n)
	}
	// A wrong password is never answered from the cache, nor cached.
	for range 2 {
		if _, err := login(u, "acme", "wrong"); !errors.Is(err, backends.ErrPermission) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	if n := p.calls.Load(); n != 3 {
		t.Fatalf("%d provider calls, want 3", n)
	}
	t.Run("off", func(t *testing.T) {
		c := p.config()
		c.CacheTTL = 0
		u := newUsers(t, p, c)
		before := p.calls.Load()
		login(u, "acme", "right")
		login(u, "acme", "right")
		if n := p.calls.Load() - before; n != 2 {
			t.Fatalf("%d provider calls without a cache, want 2", n)
		}
	})
	t.Run("concurrent logins share one request", func(t *testing.T) {
		u := newUsers(t, p, p.config())
		before := p.calls.Load()
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if _, err := login(u, "mounts", "right"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := p.calls.Load() - before; n > 2 {
			// One, or two if the first finished before the last started
			// (the cache then answers): never one per login.
			t.Fatalf("%d provider calls for 20 concurrent logins", n)
		}
	})
}

func TestModes(t *testing.T) {
	p := startProvider(t)
	file := mapping.UserConfig{Name: "acme", PasswordHash: bcryptOf(t, "file-pw"), Backend: "mem",
		Permissions: []string{"list"}}
	t.Run("file_first", func(t *testing.T) {
		u := newUsers(t, p, p.config(), file)
		before := p.calls.Load()
		if _, err := login(u, "acme", "file-pw"); err != nil {
			t.Fatalf("file user: %v", err)
		}
		if _, err := login(u, "acme", "right"); !errors.Is(err, backends.ErrPermission) {
			t.Fatalf("file user with the provider's password: %v", err)
		}
		if _, err := login(u, "mounts", "right"); err != nil {
			t.Fatalf("provider user: %v", err)
		}
		if n := p.calls.Load() - before; n != 1 {
			t.Fatalf("%d provider calls, want 1 (only for the user not in the file)", n)
		}
	})
	t.Run("provider_only", func(t *testing.T) {
		c := p.config()
		c.Mode = mapping.IdentityProviderOnly
		u := newUsers(t, p, c, file)
		if _, err := login(u, "acme", "file-pw"); !errors.Is(err, backends.ErrPermission) {
			t.Fatalf("file password with provider_only: %v", err)
		}
		if _, err := login(u, "acme", "right"); err != nil {
			t.Fatalf("provider password: %v", err)
		}
	})
}

func TestConfigValidate(t *testing.T) {
	good := Default()
	good.Type, good.URL = "http", "https://idp.internal/ftps/login"
	for _, tc := range []struct {
		name   string
		change func(*Config)
		field  string
	}{
		{"good", func(*Config) {}, ""},
		{"none", func(c *Config) { *c = Default() }, ""},
		{"type", func(c *Config) { c.Type = "ldap" }, "identity.type"},
		{"no url", func(c *Config) { c.URL = "" }, "identity.url"},
		{"plain http", func(c *Config) { c.URL = "http://idp.internal/" }, "identity.url"},
		{"credentials in url", func(c *Config) { c.URL = "https://u:p@idp.internal/" }, "identity.url"},
		{"timeout", func(c *Config) { c.Timeout = 0 }, "identity.timeout"},
		{"client key alone", func(c *Config) { c.ClientKey = "k.pem" }, "identity.client_cert"},
		{"cache ttl", func(c *Config) { c.CacheTTL = -time.Second }, "identity.cache_ttl"},
		{"mode", func(c *Config) { c.Mode = "both" }, "identity.mode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.change(&c)
			err := c.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.field) {
				t.Fatalf("Validate = %v, want an error on %s", err, tc.field)
			}
		})
	}
}

// TestDocumentedAnswer decodes and validates the answer the README shows
// (with a loopback allowed_ips).
func TestDocumentedAnswer(t *testing.T) {
	body := `{"user": {"home": "/inbound",
            "mounts": [{"path": "/inbound", "backend": "s3", "bucket": "partners", "prefix": "acme/in/", "permissions": ["upload"]},
                       {"path": "/outbound", "backend": "s3", "bucket": "partners", "prefix": "acme/out/", "permissions": ["list", "download"]}],
            "max_sessions": 4, "allowed_ips": ["127.0.0.0/8"], "upload_max_bytes": "2GiB",
            "denied_patterns": ["*.exe"]}}`
	uc, err := decodeAnswer([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := mapping.ValidateProvided(*uc, "acme", []string{"s3"}); err != nil {
		t.Fatal(err)
	}
	if uc.UploadMaxBytes != 2<<30 || len(uc.Mounts) != 2 || uc.MaxSessions != 4 {
		t.Fatalf("decoded %+v", uc)
	}
}
