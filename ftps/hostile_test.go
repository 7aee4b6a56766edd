package ftps_test

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
)

// TestHostileClientsDoNotDisturbOthers runs each hostile behaviour while a
// well-behaved client keeps uploading and downloading on the same server:
// every hostile client gets the right reply (or is cut off), and the
// normal client never sees an error or a stall.
func TestHostileClientsDoNotDisturbOthers(t *testing.T) {
	ts := startServer(t, func(s *setup) {
		s.cfg.Server.IdleTimeout = 2 * time.Second
		s.cfg.Server.DataTimeout = 2 * time.Second
	})
	ts.putObject(t, "alice/big", bytes.Repeat([]byte("x"), 16<<20))
	ts.putObject(t, "alice/small", []byte("0123456789"))

	normal := startNormalClient(t, ts)

	t.Run("slow-loris", func(t *testing.T) {
		conn := dialTCP(t, ts.explicit)
		readLine(t, conn) // 220
		// One byte of a command line every 200 ms: the idle timeout
		// counts from the line's start, so trickling does not extend it.
		start := time.Now()
		for i := 0; i < 100; i++ {
			if _, err := conn.Write([]byte("U")); err != nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
			if closedOrTimedOut(conn) {
				break
			}
		}
		if d := time.Since(start); d > 8*time.Second {
			t.Fatalf("a client trickling one byte per 200 ms was still connected after %s (idle timeout 2s)", d)
		}
	})
	t.Run("data-connection-never-read", func(t *testing.T) {
		c := loggedIn(t, ts)
		dc := c.openData(false)
		tc := tls.Client(dc, c.tls)
		c.send("RETR big")
		c.expect(150)
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		// Never read: the server's writes block, then time out.
		code, text := c.reply()
		if code != 426 {
			t.Fatalf("RETR to a client that never reads: %d %s, want 426", code, text)
		}
		tc.Close()
		c.must("NOOP", 200)
	})
	t.Run("megabyte-line-without-crlf", func(t *testing.T) {
		c := loggedIn(t, ts)
		if _, err := c.conn.Write(bytes.Repeat([]byte("A"), 1<<20)); err != nil {
			t.Fatal(err)
		}
		c.send("")
		c.expect(500)
		c.must("NOOP", 200)
	})
	t.Run("tls-garbage-implicit", func(t *testing.T) {
		conn := dialTCP(t, ts.implicit)
		garbage := make([]byte, 4096)
		rand.Read(garbage)
		conn.Write(garbage)
		if !closedWithin(conn, 5*time.Second) {
			t.Fatal("implicit listener kept a connection that sent garbage instead of a TLS handshake")
		}
	})
	t.Run("tls-garbage-after-auth", func(t *testing.T) {
		c := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
		c.must("AUTH TLS", 234)
		garbage := make([]byte, 4096)
		rand.Read(garbage)
		c.conn.Write(garbage)
		if !closedWithin(c.conn, 5*time.Second) {
			t.Fatal("server kept a connection that sent garbage after AUTH TLS")
		}
	})
	t.Run("sequence-errors", func(t *testing.T) {
		c := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
		c.must("AUTH TLS", 234)
		c.startTLS()
		c.must("AUTH TLS", 503) // twice
		c.must("PROT P", 503)   // before PBSZ
		c.must("PBSZ 0", 200)
		c.must("PROT P", 200)
		c.login("alice", "alice-pw")
		c.must("RNTO elsewhere", 503) // without RNFR
		c.must("MKD adir", 257)
		dc := c.openData(true)
		if code, _ := c.upload("STOR adir", dc, []byte("x")); code != 550 {
			t.Errorf("STOR to a directory name: %d, want 550", code)
		}
		c.must("REST 11", 350) // beyond the 10-byte file
		dc = c.openData(true)
		if _, code, _ := c.download("RETR small", dc); code != 554 {
			t.Errorf("RETR past the end: %d, want 554", code)
		}
		c.must("NOOP", 200)
	})

	if ok, errs := normal.stop(); len(errs) > 0 || ok == 0 {
		t.Fatalf("the well-behaved client completed %d round trips, with errors: %v", ok, errs)
	} else {
		t.Logf("well-behaved client: %d round trips, no errors", ok)
	}
}

// normalClient uploads and downloads in a loop until stopped.
type normalClient struct {
	done chan struct{}
	wg   sync.WaitGroup
	ok   atomic.Int64
	mu   sync.Mutex
	errs []error
}

func startNormalClient(t *testing.T, ts *testServer) *normalClient {
	n := &normalClient{done: make(chan struct{})}
	cfg := ts.clientTLS(t)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for i := 0; ; i++ {
			select {
			case <-n.done:
				return
			default:
			}
			if err := roundTrip(ts.explicit, cfg, i); err != nil {
				n.mu.Lock()
				n.errs = append(n.errs, err)
				n.mu.Unlock()
				return
			}
			n.ok.Add(1)
		}
	}()
	return n
}

func (n *normalClient) stop() (int64, []error) {
	close(n.done)
	n.wg.Wait()
	return n.ok.Load(), n.errs
}

func roundTrip(addr string, cfg *tls.Config, i int) error {
	c, err := ftp.Dial(addr, ftp.DialWithExplicitTLS(cfg), ftp.DialWithTimeout(5*time.Second))
	if err != nil {
		return err
	}
	defer c.Quit()
	if err := c.Login("bob", "bob-pw"); err != nil {
		return err
	}
	data := bytes.Repeat([]byte{byte(i)}, 100<<10)
	name := fmt.Sprintf("normal-%d", i%4)
	if err := c.Stor(name, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("STOR: %w", err)
	}
	r, err := c.Retr(name)
	if err != nil {
		return fmt.Errorf("RETR: %w", err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, data) {
		return fmt.Errorf("RETR: %d bytes, %v", len(got), err)
	}
	return nil
}

func dialTCP(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func readLine(t *testing.T, conn net.Conn) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Time{})
	return string(buf[:n])
}

// closedOrTimedOut reports, without waiting long, whether the server has
// closed conn or sent its 421.
func closedOrTimedOut(conn net.Conn) bool {
	conn.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	defer conn.SetReadDeadline(time.Time{})
	buf := make([]byte, 512)
	n, err := conn.Read(buf)
	if n > 0 && strings.HasPrefix(string(buf[:n]), "421") {
		return true
	}
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// closedWithin reports whether the server closes conn within d.
func closedWithin(conn net.Conn, d time.Duration) bool {
	conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}
