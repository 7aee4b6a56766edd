package e2e

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRollingRestart: three replicas share one versitygw bucket behind
// HAProxy; 20 clients upload and download for at least 60 s while each
// replica in turn gets SIGTERM (and drains) and is started again. Every
// upload that got 226 is in the bucket byte for byte, every other one is
// absent or whole, no multipart upload is left, no download was
// corrupted, nothing failed beyond retries, and every replica exited 0.
func TestRollingRestart(t *testing.T) {
	c := s3Cloud(t, "rolling", "part_size: 5MiB\nupload_concurrency: 2")
	group, addr, tlsCfg := replicaGroup(t, c, 3, "")
	const clients, minRun, settle = 20, 62 * time.Second, 8 * time.Second

	begin := time.Now()
	stop := make(chan struct{})
	result := make(chan *traffic, 1)
	go func() { result <- runTraffic(addr, tlsCfg, clients, stop) }()
	for _, r := range group {
		time.Sleep(settle)
		t.Logf("%s: SIGTERM at %s", r.name, time.Since(begin).Round(time.Millisecond))
		if err := r.stop(); err != nil {
			t.Errorf("%s exit: %v", r.name, err)
		}
		r.start(t)
		t.Logf("%s: ready again at %s", r.name, time.Since(begin).Round(time.Millisecond))
	}
	time.Sleep(max(settle, minRun-time.Since(begin)))
	close(stop)
	tr := <-result
	ran := time.Since(begin)
	var wg sync.WaitGroup
	for _, r := range group {
		wg.Go(func() {
			if err := r.stop(); err != nil {
				t.Errorf("%s final exit: %v", r.name, err)
			}
		})
	}
	wg.Wait()

	// Read every object back, eight at a time.
	var mu sync.Mutex
	acked, absent, landed := 0, 0, 0
	keys := make(chan string)
	for range 8 {
		wg.Go(func() {
			for key := range keys {
				o := tr.objects[key]
				got, err := c.read(t, "alice/"+key)
				want := objectData(o.size, o.seed)
				mu.Lock()
				switch {
				case o.acked && (err != nil || !bytes.Equal(got, want)):
					t.Errorf("%s got 226 but the bucket holds %d bytes (%v), want %d identical", key, len(got), err, o.size)
				case o.acked:
					acked++
				case err == nil && !bytes.Equal(got, want):
					t.Errorf("%s (no 226) is partial in the bucket: %d of %d bytes", key, len(got), o.size)
				case err == nil:
					landed++ // committed, then the 226 was lost with the connection
				default:
					absent++
				}
				mu.Unlock()
			}
		})
	}
	for key := range tr.objects {
		keys <- key
	}
	close(keys)
	wg.Wait()
	if p := c.pending(t); p != 0 {
		t.Errorf("%d unfinished multipart uploads", p)
	}
	t.Logf("rolling restart: %s, %d clients, 3 replicas each restarted once: transfers %d (%d MiB), retries %d, failures %d, corrupted downloads %d; uploads with 226 %d (all in the bucket byte for byte), without 226 %d absent and %d whole; small round trips p50 %s p99 %s",
		ran.Round(time.Second), clients, tr.transfers.Load(), tr.bytes.Load()>>20, tr.retries.Load(), tr.failures.Load(),
		tr.corrupted.Load(), acked, absent, landed, tr.percentile(0.5).Round(time.Millisecond), tr.percentile(0.99).Round(time.Millisecond))
	if tr.failures.Load() > 0 || tr.corrupted.Load() > 0 {
		t.Errorf("failures: %s", strings.Join(tr.errs, "\n"))
	}
	if tr.retries.Load() == 0 {
		t.Error("no client retried: the restarts did not reach the traffic")
	}
	for _, r := range group {
		if n := len(r.exitErrs); n != 2 {
			t.Errorf("%s stopped %d times, want 2", r.name, n)
		}
	}
}
