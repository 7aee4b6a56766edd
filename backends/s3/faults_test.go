package s3

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/internal/faultproxy"
)

// The store behind a broken network: versitygw behind a fault-injecting
// proxy. Retries the SDK can make must be made; what cannot be saved
// fails with ErrTransient and leaves nothing behind.

func faultyFixture(t *testing.T) (*fixture, *faultproxy.Proxy, backends.Bucket, string) {
	t.Helper()
	f := newFixture(t, Config{PartSize: testPartSize})
	proxy := faultproxy.Start(t, strings.TrimPrefix(f.server.Endpoint, "http://"))
	be, err := New(Config{
		Endpoint: "http://" + proxy.Addr, Region: f.server.Region, PathStyle: true,
		AccessKeyID: f.server.AccessKey, SecretAccessKey: f.server.SecretKey,
		PartSize: testPartSize, UploadConcurrency: 2, PartTimeout: 3 * time.Second, MaxAttempts: 3,
		ReadStallTimeout: 300 * time.Millisecond, RequestTimeout: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	name := f.newBucketName(t)
	b, err := be.Bucket(name)
	if err != nil {
		t.Fatal(err)
	}
	return f, proxy, b, name
}

func uploadAll(b backends.Bucket, t *testing.T, key string, data []byte) error {
	w, err := b.Create(t.Context(), key, backends.CreateOptions{})
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

func TestFaultUploadRetriedAfterCut(t *testing.T) {
	f, proxy, b, bucket := faultyFixture(t)
	proxy.Set(faultproxy.Fault{CutUpAfter: 3 << 20, Times: 1})
	data := bytes.Repeat([]byte("0123456789abcdef"), 12<<20/16)
	if err := uploadAll(b, t, "retried", data); err != nil {
		t.Fatalf("upload with one cut connection failed; the SDK should have retried: %v", err)
	}
	if proxy.Cuts() == 0 {
		t.Fatal("the proxy cut nothing: the test did not test")
	}
	proxy.Heal()
	got := readAll(t, b, "retried")
	if !bytes.Equal(got, data) {
		t.Fatalf("stored %d bytes differ from the %d sent", len(got), len(data))
	}
	if n := f.pendingUploads(t, bucket); n != 0 {
		t.Errorf("%d unfinished uploads", n)
	}
}

func TestFaultUploadFailsCleanly(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault faultproxy.Fault
	}{
		{"every-connection-cut", faultproxy.Fault{CutUpAfter: 3 << 20}},
		{"store-stalls", faultproxy.Fault{StallUpAfter: 1 << 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, proxy, b, bucket := faultyFixture(t)
			proxy.Set(tc.fault)
			start := time.Now()
			err := uploadAll(b, t, "doomed", bytes.Repeat([]byte{7}, 12<<20))
			if !errors.Is(err, backends.ErrTransient) {
				t.Fatalf("upload through a broken link: %v, want ErrTransient", err)
			}
			t.Logf("failed after %s: %v", time.Since(start).Round(time.Millisecond), err)
			proxy.Heal()
			if _, err := b.Stat(t.Context(), "doomed"); !errors.Is(err, backends.ErrNotExist) {
				t.Errorf("Stat after the failed upload: %v, want ErrNotExist", err)
			}
			if n := f.pendingUploads(t, bucket); n != 0 {
				t.Errorf("%d unfinished multipart uploads after the failure", n)
			}
		})
	}
}

func TestFaultDownloadResumesAfterCut(t *testing.T) {
	_, proxy, b, _ := faultyFixture(t)
	data := bytes.Repeat([]byte("abcdefghijklmnop"), 12<<20/16)
	if err := uploadAll(b, t, "big", data); err != nil {
		t.Fatal(err)
	}
	proxy.Set(faultproxy.Fault{CutDownAfter: 4 << 20, Times: 2})
	got := readAll(t, b, "big")
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes differ from the %d stored", len(got), len(data))
	}
	if proxy.Cuts() == 0 {
		t.Fatal("the proxy cut nothing: the test did not test")
	}
}

func TestFaultDownloadFailsCleanly(t *testing.T) {
	_, proxy, b, _ := faultyFixture(t)
	if err := uploadAll(b, t, "big", bytes.Repeat([]byte{1}, 12<<20)); err != nil {
		t.Fatal(err)
	}
	r, err := b.Open(t.Context(), "big", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	// Now every connection breaks before any body byte: the reader's
	// resumes make no progress and it must give up, not loop.
	proxy.Set(faultproxy.Fault{CutDownAfter: 100})
	n, err := io.Copy(io.Discard, r)
	if !errors.Is(err, backends.ErrTransient) {
		t.Fatalf("read %d bytes then %v, want ErrTransient", n, err)
	}
}

func TestFaultDownloadStalls(t *testing.T) {
	_, proxy, b, _ := faultyFixture(t)
	data := bytes.Repeat([]byte("stall"), 12<<20/5)
	if err := uploadAll(b, t, "big", data); err != nil {
		t.Fatal(err)
	}
	t.Run("once", func(t *testing.T) {
		// One stream stalls; the watchdog resumes it on a new one.
		proxy.Set(faultproxy.Fault{StallDownAfter: 3 << 20, Times: 1})
		if got := readAll(t, b, "big"); !bytes.Equal(got, data) {
			t.Fatalf("read %d bytes differ from the %d stored", len(got), len(data))
		}
	})
	t.Run("always", func(t *testing.T) {
		r, err := b.Open(t.Context(), "big", 0)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if _, err := io.ReadFull(r, make([]byte, 1<<20)); err != nil {
			t.Fatal(err)
		}
		proxy.Set(faultproxy.Fault{StallDownAfter: 64 << 10})
		start := time.Now()
		n, err := io.Copy(io.Discard, r)
		if !errors.Is(err, backends.ErrTransient) {
			t.Fatalf("read %d bytes then %v, want ErrTransient", n, err)
		}
		t.Logf("gave up after %s and %d stalls: %v", time.Since(start).Round(time.Millisecond), proxy.Cuts(), err)
	})
}

// TestFaultMetadataStalls: a store that accepts connections but never
// answers fails a metadata request after request_timeout with
// ErrTransient (451 at the FTP level), instead of holding the command.
func TestFaultMetadataStalls(t *testing.T) {
	_, proxy, b, _ := faultyFixture(t)
	proxy.Set(faultproxy.Fault{StallDownAfter: 1})
	for name, call := range map[string]func() error{
		"stat":  func() error { _, err := b.Stat(t.Context(), "x"); return err },
		"mkdir": func() error { return b.Mkdir(t.Context(), "d") },
	} {
		start := time.Now()
		err := call()
		if !errors.Is(err, backends.ErrTransient) || !strings.Contains(err.Error(), "request_timeout") {
			t.Errorf("%s against a silent store: %v, want ErrTransient naming request_timeout", name, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s gave up after %s; request_timeout is 500ms", name, d)
		}
	}
	proxy.Heal()
	if _, err := b.Stat(t.Context(), "x"); !errors.Is(err, backends.ErrNotExist) {
		t.Errorf("stat after the store recovered: %v, want ErrNotExist", err)
	}
}

func TestFaultSlowLinkStillWorks(t *testing.T) {
	_, proxy, b, _ := faultyFixture(t)
	proxy.Set(faultproxy.Fault{Delay: 5 * time.Millisecond})
	data := bytes.Repeat([]byte("slow"), 6<<20/4)
	if err := uploadAll(b, t, "slow", data); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, b, "slow"); !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
}

func readAll(t *testing.T, b backends.Bucket, key string) []byte {
	t.Helper()
	r, err := b.Open(t.Context(), key, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading %s: %v", key, err)
	}
	return got
}
