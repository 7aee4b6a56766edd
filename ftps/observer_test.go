package ftps_test

import (
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
)

// recorder is an Observer that keeps every event as a line.
type recorder struct {
	mu     sync.Mutex
	events []string
	open   int
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf(format, args...))
}
func (r *recorder) SessionOpened()                  { r.mu.Lock(); r.open++; r.mu.Unlock() }
func (r *recorder) SessionClosed()                  { r.mu.Lock(); r.open--; r.mu.Unlock() }
func (r *recorder) ConnectionRefused(reason string) { r.add("refused %s", reason) }
func (r *recorder) Login(result string)             { r.add("login %s", result) }
func (r *recorder) Transfer(command, result string, bytes int64, d time.Duration) {
	r.add("transfer %s %s %d", command, result, bytes)
}

func (r *recorder) snapshot() ([]string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events), r.open
}

// TestObserverEvents checks what the metrics see of one client's visit: a
// failed and a good login, an upload, a download, a listing, a refused
// second connection, and the session count back at zero after QUIT.
func TestObserverEvents(t *testing.T) {
	rec := &recorder{}
	ts := startServer(t, func(s *setup) {
		s.obs = rec
		s.cfg.Server.MaxSessionsPerIP = 1
	})
	c := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
	c.secure()
	c.must("USER alice", 331)
	c.must("PASS wrong", 530)
	c.login("alice", "alice-pw")
	if code, text := c.upload("STOR obs.txt", c.openData(true), []byte("twelve bytes")); code != 226 {
		t.Fatalf("STOR: %d %s", code, text)
	}
	if data, code, text := c.download("RETR obs.txt", c.openData(true)); code != 226 || string(data) != "twelve bytes" {
		t.Fatalf("RETR: %d %s %q", code, text, data)
	}
	if _, code, text := c.download("NLST", c.openData(true)); code != 226 {
		t.Fatalf("NLST: %d %s", code, text)
	}
	// A second connection from the same address is over the limit.
	extra, err := net.DialTimeout("tcp", ts.explicit, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	extra.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64)
	n, _ := extra.Read(buf)
	extra.Close()
	if string(buf[:3]) != "421" {
		t.Fatalf("connection over max_sessions_per_ip: %q", buf[:n])
	}
	c.must("QUIT", 221)

	want := []string{
		"login failed",
		"login ok",
		"transfer STOR ok 12",
		"transfer RETR ok 12",
		"transfer NLST ok 9", // "obs.txt\r\n"
		"refused max_sessions_per_ip",
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, open := rec.snapshot()
		if slices.Equal(got, want) && open == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("events %q with %d sessions open; want %q with none", got, open, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
