package gcs

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"cloud.google.com/go/storage"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
	"github.com/ftpsbridge/ftpsbridge/internal/faultproxy"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// The store behind a broken network: fake-gcs-server behind a
// fault-injecting proxy. Retries the SDK can make must be made; what
// cannot be saved fails with ErrTransient and leaves nothing behind.
//
// Uploads here are shorter than one chunk, so each is one request through
// the proxy: fake-gcs-server sends a resumable session's chunks to its own
// -external-url, which bypasses the proxy.

const faultChunkSize = 16 << 20

type faultFixture struct {
	proxy *faultproxy.Proxy
	store *store
}

func newFaultFixture(t *testing.T) *faultFixture {
	t.Helper()
	srv := testenv.StartGCS(t)
	direct := startServerAt(t, srv, Config{})
	name := direct.newBucketName(t)
	proxy := faultproxy.Start(t, srv.Host)
	be, err := New(Config{Endpoint: "http://" + proxy.Addr, ChunkSize: faultChunkSize, ChunkTimeout: 2 * time.Second,
		RequestTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	// Give up sooner than the default 30 s when every attempt fails.
	be.(*backend).client.SetRetry(storage.WithMaxRetryDuration(time.Second))
	return &faultFixture{proxy: proxy, store: be.(*backend).store(name)}
}

// startServerAt is startServer on a server already running.
func startServerAt(t *testing.T, srv *testenv.GCSServer, cfg Config) *testServer {
	t.Helper()
	cfg.Endpoint = srv.Endpoint
	be, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return &testServer{be: be.(*backend)}
}

func (f *faultFixture) upload(t *testing.T, key string, data []byte) error {
	w, err := f.store.Create(t.Context(), key, objstore.WriteOptions{})
	if err != nil {
		return err
	}
	for len(data) > 0 {
		n := min(len(data), 64<<10)
		if _, err := w.Write(data[:n]); err != nil {
			w.Abort()
			return err
		}
		data = data[n:]
	}
	return w.Commit()
}

// TestFaultUploadRetriedAfterCut proves the writer's retry policy: an
// upload carries no precondition, so the SDK would not retry it by
// default.
func TestFaultUploadRetriedAfterCut(t *testing.T) {
	f := newFaultFixture(t)
	f.proxy.Set(faultproxy.Fault{CutUpAfter: 3 << 20, Times: 1})
	data := pattern(12<<20, 9)
	if err := f.upload(t, "retried", data); err != nil {
		t.Fatalf("upload with one cut connection failed; the SDK should have retried: %v", err)
	}
	if f.proxy.Cuts() == 0 {
		t.Fatal("the proxy cut nothing: the test did not test")
	}
	f.proxy.Heal()
	if got, err := download(t, f.store, "retried", 0, ""); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored %d bytes (%v), want the %d sent", len(got), err, len(data))
	}
}

// TestFaultUploadStallFails checks that a store that stops answering
// fails the upload after chunk_timeout, with nothing stored.
func TestFaultUploadStallFails(t *testing.T) {
	f := newFaultFixture(t)
	f.proxy.Set(faultproxy.Fault{StallUpAfter: 1 << 20})
	start := time.Now()
	err := f.upload(t, "stalled", pattern(4<<20, 1))
	if !errors.Is(err, backends.ErrTransient) {
		t.Fatalf("upload to a stalled store: %v, want ErrTransient", err)
	}
	t.Logf("failed after %s: %v", time.Since(start).Round(time.Millisecond), err)
	f.proxy.Heal()
	checkMissing(t, f.store, "stalled")
}

func TestFaultDownloadResumesAfterCut(t *testing.T) {
	f := newFaultFixture(t)
	data := pattern(12<<20, 2)
	if err := f.upload(t, "big", data); err != nil {
		t.Fatal(err)
	}
	obj, err := f.store.Head(t.Context(), "big")
	if err != nil {
		t.Fatal(err)
	}
	f.proxy.Set(faultproxy.Fault{CutDownAfter: 4 << 20, Times: 2})
	got, err := download(t, f.store, "big", 0, obj.Version)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes (%v), want the %d stored", len(got), err, len(data))
	}
	if f.proxy.Cuts() == 0 {
		t.Fatal("the proxy cut nothing: the test did not test")
	}
}

func TestFaultDownloadFailsCleanly(t *testing.T) {
	f := newFaultFixture(t)
	if err := f.upload(t, "big", pattern(12<<20, 3)); err != nil {
		t.Fatal(err)
	}
	obj, err := f.store.Head(t.Context(), "big")
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.store.Get(t.Context(), "big", 0, 0, obj.Version)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadFull(r, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	// Every connection now breaks before any body byte.
	f.proxy.Set(faultproxy.Fault{CutDownAfter: 100})
	start := time.Now()
	n, err := io.Copy(io.Discard, r)
	if !errors.Is(err, backends.ErrTransient) {
		t.Fatalf("read %d more bytes, then %v; want ErrTransient", n, err)
	}
	t.Logf("failed after %s: %v", time.Since(start).Round(time.Millisecond), err)
}

// TestFaultMetadataStalls: a store that accepts connections but never
// answers fails a metadata request after request_timeout with
// ErrTransient (451 at the FTP level), instead of holding the command.
func TestFaultMetadataStalls(t *testing.T) {
	f := newFaultFixture(t)
	f.proxy.Set(faultproxy.Fault{StallDownAfter: 1})
	for name, call := range map[string]func() error{
		"head":   func() error { _, err := f.store.Head(t.Context(), "x"); return err },
		"list":   func() error { _, err := f.store.List(t.Context(), "", "", 10); return err },
		"delete": func() error { return f.store.Delete(t.Context(), "x") },
	} {
		start := time.Now()
		err := call()
		if !errors.Is(err, backends.ErrTransient) {
			t.Errorf("%s against a silent store: %v, want ErrTransient", name, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s gave up after %s; request_timeout is 500ms", name, d)
		}
	}
	f.proxy.Heal()
	if _, err := f.store.Head(t.Context(), "x"); !errors.Is(err, backends.ErrNotExist) {
		t.Errorf("head after the store recovered: %v, want ErrNotExist", err)
	}
}
