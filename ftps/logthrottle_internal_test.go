package ftps

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestLogThrottle: 1,000 identical warnings from one address within the
// window write one line; the next after the window says how many were
// suppressed; another address and another kind are logged on their own.
func TestLogThrottle(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	clock := time.Unix(1000, 0)
	th := newLogThrottle(10 * time.Second)
	th.now = func() time.Time { return clock }
	for range 1000 {
		th.Warn(log, "127.0.0.2", "refused passive data connection from another address", "from", "127.0.0.2:1")
	}
	th.Warn(log, "127.0.0.3", "refused passive data connection from another address")
	th.Warn(log, "127.0.0.2", "connection refused")
	if n := strings.Count(buf.String(), "\n"); n != 3 {
		t.Fatalf("%d lines, want 3:\n%s", n, buf.String())
	}
	clock = clock.Add(11 * time.Second)
	buf.Reset()
	th.Warn(log, "127.0.0.2", "refused passive data connection from another address")
	if got := buf.String(); !strings.Contains(got, "suppressed=999") {
		t.Fatalf("after the window: %q, want suppressed=999", got)
	}
}

// TestLogThrottleBounded: a flood of distinct addresses is tracked up to
// maxKeys, then logged rather than remembered.
func TestLogThrottleBounded(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	th := newLogThrottle(time.Minute)
	th.maxKeys = 10
	for i := range 50 {
		th.Warn(log, string(rune('a'+i)), "connection refused")
	}
	if len(th.seen) > 10 {
		t.Fatalf("tracking %d keys, bound is 10", len(th.seen))
	}
	if n := strings.Count(buf.String(), "\n"); n != 50 {
		t.Fatalf("%d lines, want 50 (all distinct)", n)
	}
}
