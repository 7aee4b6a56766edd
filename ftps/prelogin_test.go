package ftps_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/ftps"
)

// TestLoginTimeout: a session that keeps sending NOOP (and other commands)
// but never logs in is told 421 and closed at server.login_timeout, well
// before the idle timeout; a session that logged in outlives it.
func TestLoginTimeout(t *testing.T) {
	const loginTimeout = 500 * time.Millisecond
	ts := startServer(t, func(s *setup) {
		s.cfg.Server.LoginTimeout = loginTimeout
		s.cfg.Server.IdleTimeout = time.Minute
	})
	t.Run("never logs in", func(t *testing.T) {
		c := dialRaw(t, ts.plain, false, nil)
		deadline := time.Now().Add(30 * time.Second) // a hang, not a speed target
		for time.Now().Before(deadline) {
			code, text := c.cmd("NOOP")
			if code == 421 {
				if !strings.Contains(text, "Login timeout") {
					t.Fatalf("421 %q, want the login timeout", text)
				}
				c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				if n, err := c.conn.Read(make([]byte, 1)); err == nil {
					t.Fatalf("connection still open after the 421 (read %d bytes)", n)
				}
				return
			}
			if code != 200 {
				t.Fatalf("NOOP: %d %q", code, text)
			}
			time.Sleep(loginTimeout / 5)
		}
		t.Fatal("NOOP kept the session open past login_timeout")
	})
	t.Run("logged in", func(t *testing.T) {
		c := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
		c.secure()
		c.login("alice", "alice-pw")
		time.Sleep(3 * loginTimeout)
		c.must("NOOP", 200)
		c.must("PWD", 257)
	})
}

// TestMaxUnauthenticatedSessions: sessions that have not logged in may
// hold only server.max_unauthenticated_sessions places; one more gets 421
// with a clear text, counted as "max_unauthenticated_sessions", and a
// login frees its place at once.
func TestMaxUnauthenticatedSessions(t *testing.T) {
	rec := &recorder{}
	ts := startServer(t, func(s *setup) {
		s.cfg.Server.MaxSessions = 4
		s.cfg.Server.MaxUnauthenticatedSessions = 2
		s.obs = rec
	})
	first := dialRaw(t, ts.plain, false, nil)
	dialRaw(t, ts.plain, false, nil)
	if code, text := dialRefused(t, ts.plain); code != "421" || !strings.Contains(text, "not yet logged in") {
		t.Fatalf("third pre-login connection: %s %q, want 421 not yet logged in", code, text)
	}
	first.login("alice", "alice-pw")
	third := dialRaw(t, ts.plain, false, nil) // the login freed a place
	third.must("NOOP", 200)
	events, _ := rec.snapshot()
	if !strings.Contains(strings.Join(events, "\n"), "refused max_unauthenticated_sessions") {
		t.Errorf("events %q lack the refusal", events)
	}
}

// dialRefused connects and returns the first reply's code and text.
func dialRefused(t *testing.T, addr string) (code, text string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 256)
	n, _ := conn.Read(buf)
	line := strings.TrimRight(string(buf[:n]), "\r\n")
	if len(line) < 4 {
		return line, ""
	}
	return line[:3], line[4:]
}

// TestLoginConfigValidation names the key at fault.
func TestLoginConfigValidation(t *testing.T) {
	for name, c := range map[string]struct {
		mutate func(*ftps.Config)
		key    string
	}{
		"zero login_timeout": {func(c *ftps.Config) { c.Server.LoginTimeout = 0 }, "server.login_timeout"},
		"negative pre-login": {func(c *ftps.Config) { c.Server.MaxUnauthenticatedSessions = -1 }, "server.max_unauthenticated_sessions"},
		"above max_sessions": {func(c *ftps.Config) { c.Server.MaxUnauthenticatedSessions = 501 }, "server.max_unauthenticated_sessions"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := ftps.DefaultConfig()
			cfg.Listeners = []ftps.ListenerConfig{{Address: "127.0.0.1:0", TLS: ftps.TLSExplicit}}
			c.mutate(&cfg)
			if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.key) {
				t.Fatalf("Validate() = %v, want an error naming %s", err, c.key)
			}
		})
	}
}
