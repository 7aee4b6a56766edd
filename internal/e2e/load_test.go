package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
)

// TestLoad opens many concurrent FTPS sessions against the S3 server, each
// logging in, listing, uploading, downloading and verifying files (most
// small, some 32 MiB), then checks that a session beyond max_sessions gets
// 421 at once. `make test` runs it briefly; `make loadtest` runs it at
// full size (FTPSBRIDGE_LOAD=full) and prints the figures for the README.
func TestLoad(t *testing.T) {
	sessions, large := 200, 4
	if os.Getenv("FTPSBRIDGE_LOAD") == "full" {
		large = 20
	}
	const largeSize = 32 << 20
	c := s3Cloud(t, "load", "part_size: 8MiB\nupload_concurrency: 2")
	b := startBridge(t, c, func(o *bridgeOptions) {
		o.server = fmt.Sprintf("max_sessions: %d, max_sessions_per_ip: %d, max_unauthenticated_sessions: %d",
			sessions, sessions, sessions)
		// One passive port per simultaneous data connection, with room.
		o.passivePorts = 2 * sessions
	})
	tlsCfg := b.clientTLS(t)

	var (
		moved     atomic.Int64
		failures  atomic.Int64
		mu        sync.Mutex
		latencies []time.Duration
		errs      []string
		ready     sync.WaitGroup // all sessions logged in
		release   = make(chan struct{})
		done      sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		failures.Add(1)
		mu.Lock()
		if len(errs) < 10 {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
		mu.Unlock()
	}
	ready.Add(sessions)
	start := time.Now()
	for i := range sessions {
		done.Add(1)
		go func() {
			defer done.Done()
			loggedIn := false
			defer func() {
				if !loggedIn {
					ready.Done()
				}
			}()
			conn, err := ftp.Dial(b.explicit, ftp.DialWithExplicitTLS(tlsCfg), ftp.DialWithTimeout(60*time.Second))
			if err != nil {
				fail("session %d: dial: %v", i, err)
				return
			}
			defer conn.Quit()
			if err := conn.Login("alice", password); err != nil {
				fail("session %d: login: %v", i, err)
				return
			}
			loggedIn = true
			ready.Done()
			<-release // every session is open at once: max_sessions is reached
			if _, err := conn.List("/"); err != nil {
				fail("session %d: list: %v", i, err)
				return
			}
			size := 1 + (i*7919)%(256<<10)
			if i < large {
				size = largeSize
			}
			data := randomData(size, uint64(i))
			name := fmt.Sprintf("load/s%03d.bin", i)
			t0 := time.Now()
			if err := conn.Stor(name, bytes.NewReader(data)); err != nil {
				fail("session %d: STOR %d bytes: %v", i, size, err)
				return
			}
			r, err := conn.Retr(name)
			if err != nil {
				fail("session %d: RETR: %v", i, err)
				return
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, data) {
				fail("session %d: RETR returned %d of %d bytes, equal %v, %v", i, len(got), size, bytes.Equal(got, data), err)
				return
			}
			if i >= large {
				mu.Lock()
				latencies = append(latencies, time.Since(t0))
				mu.Unlock()
			}
			moved.Add(2 * int64(size))
		}()
	}
	ready.Wait()

	// All sessions are open: one more connection is refused with 421,
	// immediately, not left hanging.
	extra, err := net.DialTimeout("tcp", b.explicit, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	extra.SetDeadline(time.Now().Add(5 * time.Second))
	line := make([]byte, 512)
	n, _ := extra.Read(line)
	extra.Close()
	if !strings.HasPrefix(string(line[:n]), "421") {
		t.Errorf("connection beyond max_sessions (%d) got %q, want 421", sessions, line[:n])
	}
	close(release)
	done.Wait()
	elapsed := time.Since(start)

	if f := failures.Load(); f > 0 {
		t.Errorf("%d of %d sessions failed; first errors:\n%s", f, sessions, strings.Join(errs, "\n"))
	}
	if n := c.pending(t); n != 0 {
		t.Errorf("%d unfinished multipart uploads after the load", n)
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[int(p*float64(len(latencies)-1))].Round(time.Millisecond)
	}
	t.Logf("load: %d sessions (%d with 32 MiB files), %d MiB moved in %s, errors: %d, server peak RSS %d MiB, small-file round trip p50 %s p99 %s",
		sessions, large, moved.Load()>>20, elapsed.Round(time.Millisecond), failures.Load(),
		procStatus(t, b.pid, "VmHWM")>>10, pct(0.50), pct(0.99))
}

// clientTLS trusts the certificate the bridge generated.
func (b *bridge) clientTLS(t testing.TB) *tls.Config {
	t.Helper()
	pemBytes, err := os.ReadFile(b.certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", ClientSessionCache: tls.NewLRUClientSessionCache(256)}
}
