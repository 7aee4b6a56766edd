package events

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/ftps"
)

// TestSignatureVerifiable: a receiver holding the secret verifies every
// request by the README's recipe, and Verify agrees; a changed body or
// another secret fails.
func TestSignatureVerifiable(t *testing.T) {
	r := newReceiver(t, nil)
	d := start(t, t.TempDir(), testTarget(r.URL))
	up := uploadEvent("/in/a.csv")
	up.Checksums = map[string]string{"SHA-256": "ab12"}
	d.Event(up)
	got := r.next(t)
	header := got.header.Get(SignatureHeader)
	verifyByHand(t, header, got.body)
	if err := Verify(testSecret, header, got.body, time.Now(), 5*time.Minute); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := Verify("another secret of some length", header, got.body, time.Now(), 5*time.Minute); err == nil {
		t.Error("Verify accepted another secret")
	}
	if err := Verify(testSecret, header, append(got.body, ' '), time.Now(), 5*time.Minute); err == nil {
		t.Error("Verify accepted a changed body")
	}
	if err := Verify(testSecret, header, got.body, time.Now().Add(time.Hour), 5*time.Minute); err == nil {
		t.Error("Verify accepted an old signature")
	}
	ev := got.event
	if ev.Kind != "upload" || ev.User != "alice" || ev.Client != "127.0.0.9:40000" || ev.Session != "7" ||
		ev.Path != "/in/a.csv" || ev.Size == nil || *ev.Size != 1234 || ev.DurationMS == nil || *ev.DurationMS != 1500 ||
		ev.Checksums["SHA-256"] != "ab12" {
		t.Errorf("event %+v", ev)
	}
	if len(ev.ID) != 36 || got.header.Get("X-Ftpsbridge-Id") != ev.ID || got.header.Get("X-Ftpsbridge-Event") != "upload" {
		t.Errorf("id %q, headers %v", ev.ID, got.header)
	}
}

// TestRetriesUntilAccepted: a receiver that fails twice with 500 gets the
// same event (same id) a third time, and the counters say so.
func TestRetriesUntilAccepted(t *testing.T) {
	r := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	d := start(t, t.TempDir(), testTarget(r.URL))
	d.Event(uploadEvent("/a"))
	got := r.next(t)
	if got.event.Path != "/a" {
		t.Fatalf("event %+v", got.event)
	}
	// The receiver saw the event before the sender saw the answer.
	waitFor(t, func() bool { return counter(t, d, "sent", "hook") == 1 })
	for name, want := range map[string]float64{"sent": 1, "failed": 2, "retried": 2} {
		if n := counter(t, d, name, "hook"); n != want {
			t.Errorf("%s = %v, want %v", name, n, want)
		}
	}
	select {
	case extra := <-r.got:
		t.Errorf("delivered twice: %+v", extra.event)
	default:
	}
}

// TestRejectedIsNotRetried: a 400 is the receiver refusing this event:
// it is dropped (and counted) rather than blocking those behind it.
func TestRejectedIsNotRetried(t *testing.T) {
	r := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusBadRequest
		}
		return http.StatusOK
	})
	d := start(t, t.TempDir(), testTarget(r.URL))
	d.Event(uploadEvent("/refused"))
	d.Event(uploadEvent("/next"))
	if got := r.next(t); got.event.Path != "/next" {
		t.Fatalf("got %+v", got.event)
	}
	if n := counter(t, d, "dropped", "hook", "rejected"); n != 1 {
		t.Errorf("dropped rejected = %v", n)
	}
	if n := counter(t, d, "retried", "hook"); n != 0 {
		t.Errorf("retried = %v", n)
	}
}

// TestKindsFilter: a target gets only the kinds it asked for.
func TestKindsFilter(t *testing.T) {
	r := newReceiver(t, nil)
	cfg := testTarget(r.URL)
	cfg.Kinds = []string{"login_failed"}
	d := start(t, t.TempDir(), cfg)
	d.Event(uploadEvent("/a"))
	d.Event(ftps.Event{Kind: ftps.EventLoginFailed, User: "mallory", RemoteAddr: "127.0.0.3:1", Command: "PASS", Reason: "bad_credentials"})
	got := r.next(t)
	if got.event.Kind != "login_failed" || got.event.User != "mallory" || got.event.Reason != "bad_credentials" || got.event.Size != nil {
		t.Fatalf("got %+v", got.event)
	}
	d.Close(context.Background())
	if n := counter(t, d, "sent", "hook"); n != 1 {
		t.Errorf("sent = %v, want 1 (the upload was not wanted)", n)
	}
}

// TestSpoolAcrossRestart: with the receiver down, a stopping dispatcher
// spools what it holds; a new one on the same data_dir sends it, in order,
// with the same ids, once the receiver is back.
func TestSpoolAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	r := newReceiver(t, func(int) int { return http.StatusServiceUnavailable })
	cfg := testTarget(r.URL)
	cfg.Retries = 1
	d1, err := New([]TargetConfig{cfg}, Options{DataDir: dir, MinBackoff: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"/1", "/2", "/3", "/4"}
	for _, p := range paths {
		d1.Event(uploadEvent(p))
	}
	d1.Close(context.Background()) // interrupts the backoff: spools all
	files, _ := filepath.Glob(filepath.Join(dir, "events", "hook", "*.json"))
	if len(files) != len(paths) {
		t.Fatalf("%d spooled files, want %d", len(files), len(paths))
	}

	r.setAnswer(nil)
	d2 := start(t, dir, cfg)
	for _, p := range paths {
		if got := r.next(t); got.event.Path != p {
			t.Fatalf("got %s, want %s (in order)", got.event.Path, p)
		}
	}
	d2.Close(context.Background())
	if files, _ := filepath.Glob(filepath.Join(dir, "events", "hook", "*")); len(files) != 0 {
		t.Errorf("spool not emptied: %v", files)
	}
}

// TestDownTargetSpillsToSpool: while the receiver stays down, events go to
// disk rather than filling memory, and the spool bound is respected.
func TestDownTargetSpillsToSpool(t *testing.T) {
	dir := t.TempDir()
	r := newReceiver(t, func(int) int { return http.StatusBadGateway })
	cfg := testTarget(r.URL)
	cfg.Retries, cfg.QueueSize, cfg.SpoolMaxEvents = -1, 2, 3
	d, err := New([]TargetConfig{cfg}, Options{DataDir: dir, MinBackoff: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	d.Event(uploadEvent("/first"))
	waitFor(t, func() bool { return counter(t, d, "queued", "hook", "spool") == 1 })
	for range 5 {
		d.Event(uploadEvent("/more"))
	}
	// Down and sleeping: arrivals go to the spool (2 fit), the rest of
	// 5 are dropped once memory (2) is full too, or at Close.
	d.Close(context.Background())
	spooled, _ := filepath.Glob(filepath.Join(dir, "events", "hook", "*.json"))
	dropped := counter(t, d, "dropped", "hook", "spool_full") + counter(t, d, "dropped", "hook", "queue_full")
	if len(spooled) != 3 || dropped != 3 {
		t.Errorf("%d spooled (want 3), %v dropped (want 3)", len(spooled), dropped)
	}
}

// TestBoundedWhenReceiverHangs: a receiver that never answers holds one
// request; the queue fills to its bound and every further event is
// dropped and counted, without Event ever blocking.
func TestBoundedWhenReceiverHangs(t *testing.T) {
	hung := make(chan struct{}, 1)
	release := make(chan struct{})
	r := newReceiver(t, func(int) int {
		hung <- struct{}{}
		<-release
		return http.StatusOK
	})
	defer close(release)
	cfg := testTarget(r.URL)
	cfg.QueueSize, cfg.SpoolMaxEvents, cfg.Timeout = 5, -1, time.Hour
	d := start(t, t.TempDir(), cfg)
	d.Event(uploadEvent("/in-flight"))
	<-hung
	for range 100 {
		d.Event(uploadEvent("/waiting"))
	}
	if q := counter(t, d, "queued", "hook", "memory"); q != 5 {
		t.Errorf("queued in memory = %v, want the bound 5", q)
	}
	if n := counter(t, d, "dropped", "hook", "queue_full"); n != 95 {
		t.Errorf("dropped = %v, want 95", n)
	}
	// Close with its deadline already passed cuts the hung request; with
	// no spool the queued events are dropped and counted, not waited for.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d.Close(ctx)
	if n := counter(t, d, "dropped", "hook", "spool_full"); n != 6 {
		t.Errorf("dropped at close = %v, want 6", n)
	}
}

// TestSpoolLeftoversIgnored: a half-written file of a crash is removed,
// a foreign file is left alone, an unreadable event is dropped.
func TestSpoolLeftoversIgnored(t *testing.T) {
	dir := t.TempDir()
	sdir := filepath.Join(dir, "events", "hook")
	os.MkdirAll(sdir, 0o700)
	os.WriteFile(filepath.Join(sdir, "00000000000000000005.json.tmp"), []byte("{"), 0o600)
	os.WriteFile(filepath.Join(sdir, "README"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(sdir, "00000000000000000001.json"), []byte("not json"), 0o600)
	r := newReceiver(t, nil)
	d := start(t, dir, testTarget(r.URL))
	d.Event(uploadEvent("/after"))
	if got := r.next(t); got.event.Path != "/after" {
		t.Fatalf("got %+v", got.event)
	}
	if n := counter(t, d, "dropped", "hook", "corrupt"); n != 1 {
		t.Errorf("corrupt = %v", n)
	}
	if _, err := os.Stat(filepath.Join(sdir, "00000000000000000005.json.tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("leftover tmp: %v", err)
	}
	if _, err := os.Stat(filepath.Join(sdir, "README")); err != nil {
		t.Errorf("foreign file: %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
	}
}
