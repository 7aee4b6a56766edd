package ftps_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestNoLeakAfterThousandSessions ends 1,000 sessions in every way a
// session ends (QUIT, client disconnect idle and mid-upload, idle timeout,
// TLS failure, failed login) and checks that the server's goroutines and
// file descriptors return to where they were.
func TestNoLeakAfterThousandSessions(t *testing.T) {
	ts := startServer(t, func(s *setup) {
		s.cfg.Server.IdleTimeout = time.Second
		s.cfg.Server.MaxSessions = 1000
		s.cfg.Server.MaxSessionsPerIP = 1000
		s.cfg.Server.LoginFailures.Max = 0 // every failed login here is deliberate
	})
	cfg := ts.clientTLS(t)
	// Warm up: the first session starts the server's lazy goroutines.
	if err := endQuit(ts, cfg); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)

	ends := []struct {
		name string
		run  func(*testServer, *tls.Config) error
	}{
		{"quit", endQuit},
		{"disconnect-idle", endDisconnect},
		{"disconnect-mid-upload", endMidUpload},
		{"idle-timeout", endTimeout},
		{"tls-failure", endTLSFailure},
		{"failed-login", endFailedLogin},
	}
	const sessions = 1000
	jobs := make(chan int)
	var mu sync.Mutex
	failures := map[string]int{}
	var firstErr error
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				e := ends[i%len(ends)]
				if err := e.run(ts, cfg); err != nil {
					mu.Lock()
					failures[e.name]++
					if firstErr == nil {
						firstErr = fmt.Errorf("%s: %w", e.name, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range sessions {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("sessions that did not end as scripted: %v; first: %v", failures, firstErr)
	}

	// Sessions end asynchronously on the server: give it a moment.
	deadline := time.Now().Add(15 * time.Second)
	for {
		g, f := runtime.NumGoroutine(), openFDs(t)
		if g <= goroutines && f <= fds {
			t.Logf("after %d sessions: %d goroutines (before %d), %d fds (before %d)", sessions, g, goroutines, f, fds)
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("after %d sessions: %d goroutines (before %d), %d fds (before %d)\n%s", sessions, g, goroutines, f, fds, buf[:n])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// ctl is a minimal control connection for scripted endings.
type ctl struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialCtl(addr string) (*ctl, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	c := &ctl{conn: conn, r: bufio.NewReader(conn)}
	if _, err := c.expect("220"); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

func (c *ctl) expect(code string) (string, error) {
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("waiting for %s: %w", code, err)
		}
		if len(line) >= 4 && line[3] == '-' {
			continue
		}
		if !strings.HasPrefix(line, code) {
			return line, fmt.Errorf("got %q, want %s", strings.TrimSpace(line), code)
		}
		return line, nil
	}
}

func (c *ctl) cmd(line, code string) (string, error) {
	if _, err := fmt.Fprintf(c.conn, "%s\r\n", line); err != nil {
		return "", err
	}
	return c.expect(code)
}

// secure runs AUTH TLS, PBSZ and PROT P.
func (c *ctl) secure(cfg *tls.Config) error {
	if _, err := c.cmd("AUTH TLS", "234"); err != nil {
		return err
	}
	tc := tls.Client(c.conn, cfg)
	if err := tc.Handshake(); err != nil {
		return err
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
	if _, err := c.cmd("PBSZ 0", "200"); err != nil {
		return err
	}
	_, err := c.cmd("PROT P", "200")
	return err
}

func loginCtl(ts *testServer, cfg *tls.Config) (*ctl, error) {
	c, err := dialCtl(ts.explicit)
	if err != nil {
		return nil, err
	}
	if err := c.secure(cfg); err != nil {
		c.conn.Close()
		return nil, err
	}
	if _, err := c.cmd("USER alice", "331"); err != nil {
		c.conn.Close()
		return nil, err
	}
	if _, err := c.cmd("PASS alice-pw", "230"); err != nil {
		c.conn.Close()
		return nil, err
	}
	return c, nil
}

func endQuit(ts *testServer, cfg *tls.Config) error {
	c, err := loginCtl(ts, cfg)
	if err != nil {
		return err
	}
	defer c.conn.Close()
	if _, err := c.cmd("NOOP", "200"); err != nil {
		return err
	}
	_, err = c.cmd("QUIT", "221")
	return err
}

func endDisconnect(ts *testServer, cfg *tls.Config) error {
	c, err := loginCtl(ts, cfg)
	if err != nil {
		return err
	}
	return c.conn.Close()
}

// endMidUpload starts a STOR, sends some bytes and drops both connections.
func endMidUpload(ts *testServer, cfg *tls.Config) error {
	c, err := loginCtl(ts, cfg)
	if err != nil {
		return err
	}
	defer c.conn.Close()
	line, err := c.cmd("PASV", "227")
	if err != nil {
		return err
	}
	var h1, h2, h3, h4, p1, p2 int
	if _, err := fmt.Sscanf(line[strings.IndexByte(line, '(')+1:], "%d,%d,%d,%d,%d,%d", &h1, &h2, &h3, &h4, &p1, &p2); err != nil {
		return fmt.Errorf("PASV reply %q: %w", line, err)
	}
	dc, err := net.DialTimeout("tcp", fmt.Sprintf("%d.%d.%d.%d:%d", h1, h2, h3, h4, p1*256+p2), 5*time.Second)
	if err != nil {
		return err
	}
	defer dc.Close()
	if _, err := c.cmd("STOR leak-upload", "150"); err != nil {
		return err
	}
	tc := tls.Client(dc, cfg)
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := tc.Write(make([]byte, 64<<10)); err != nil {
		return err
	}
	return nil // both closed by the defers, with no close_notify
}

// endTimeout connects and says nothing until the idle timeout ends it.
func endTimeout(ts *testServer, cfg *tls.Config) error {
	c, err := dialCtl(ts.explicit)
	if err != nil {
		return err
	}
	defer c.conn.Close()
	_, err = c.expect("421")
	return err
}

// endTLSFailure sends AUTH TLS and then bytes that are not a handshake.
func endTLSFailure(ts *testServer, cfg *tls.Config) error {
	c, err := dialCtl(ts.explicit)
	if err != nil {
		return err
	}
	defer c.conn.Close()
	if _, err := c.cmd("AUTH TLS", "234"); err != nil {
		return err
	}
	c.conn.Write([]byte("this is not a TLS client hello\r\n"))
	c.conn.Read(make([]byte, 512)) // the server's alert or EOF
	return nil
}

func endFailedLogin(ts *testServer, cfg *tls.Config) error {
	c, err := dialCtl(ts.explicit)
	if err != nil {
		return err
	}
	defer c.conn.Close()
	if err := c.secure(cfg); err != nil {
		return err
	}
	if _, err := c.cmd("USER alice", "331"); err != nil {
		return err
	}
	_, err = c.cmd("PASS wrong", "530")
	return err
}
