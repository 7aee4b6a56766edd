package ftps_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// faultyBackend wraps a backend so that its storage fails on demand, in
// the middle of a transfer: the front end must answer 451 (or 426) with a
// clear message, keep nothing partial, and go on serving.
type faultyBackend struct {
	backends.Backend
	// failWriteAfter fails a Writer's Write once this many bytes went
	// through it; failCommit fails Commit; failReadAfter fails a reader
	// after this many bytes. 0 disables each.
	failWriteAfter, failReadAfter atomic.Int64
	failCommit                    atomic.Bool
}

var errStoreDown = fmt.Errorf("injected store failure: %w", backends.ErrTransient)

func (f *faultyBackend) Bucket(name string) (backends.Bucket, error) {
	b, err := f.Backend.Bucket(name)
	if err != nil {
		return nil, err
	}
	return &faultyBucket{Bucket: b, f: f}, nil
}

type faultyBucket struct {
	backends.Bucket
	f *faultyBackend
}

func (b *faultyBucket) Create(ctx context.Context, key string, opts backends.CreateOptions) (backends.Writer, error) {
	w, err := b.Bucket.Create(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	return &faultyWriter{Writer: w, f: b.f}, nil
}

func (b *faultyBucket) Open(ctx context.Context, key string, offset int64) (backends.Reader, error) {
	r, err := b.Bucket.Open(ctx, key, offset)
	if err != nil {
		return nil, err
	}
	return &faultyReader{Reader: r, limit: b.f.failReadAfter.Load()}, nil
}

type faultyWriter struct {
	backends.Writer
	f *faultyBackend
	n int64
}

func (w *faultyWriter) Write(p []byte) (int, error) {
	if limit := w.f.failWriteAfter.Load(); limit > 0 && w.n+int64(len(p)) > limit {
		return 0, errStoreDown
	}
	n, err := w.Writer.Write(p)
	w.n += int64(n)
	return n, err
}

func (w *faultyWriter) Commit() error {
	if w.f.failCommit.Load() {
		w.Writer.Abort()
		return errStoreDown
	}
	return w.Writer.Commit()
}

type faultyReader struct {
	backends.Reader
	limit, n int64
}

func (r *faultyReader) Read(p []byte) (int, error) {
	if r.limit > 0 && r.n >= r.limit {
		return 0, errStoreDown
	}
	if r.limit > 0 && int64(len(p)) > r.limit-r.n {
		p = p[:r.limit-r.n]
	}
	n, err := r.Reader.Read(p)
	r.n += int64(n)
	return n, err
}

func TestStorageFailuresMidTransfer(t *testing.T) {
	fb := &faultyBackend{}
	ts := startServer(t, func(s *setup) {
		s.wrap = func(b backends.Backend) backends.Backend { fb.Backend = b; return fb }
	})
	data := randomBytes(4<<20, 9)
	ts.putObject(t, "alice/existing.bin", data)
	c := loggedIn(t, ts)

	t.Run("write-fails", func(t *testing.T) {
		fb.failWriteAfter.Store(1 << 20)
		defer fb.failWriteAfter.Store(0)
		dc := c.openData(true)
		code, text := uploadTolerant(t, c, "STOR broken.bin", dc, data)
		if code != 451 || !strings.Contains(text, "Storage temporarily unavailable") {
			t.Fatalf("STOR with a failing store: %d %s, want 451 with a clear message", code, text)
		}
		if _, err := ts.readObject(t, "alice/broken.bin"); err == nil {
			t.Fatal("a failed upload left an object")
		}
	})
	t.Run("commit-fails", func(t *testing.T) {
		fb.failCommit.Store(true)
		defer fb.failCommit.Store(false)
		dc := c.openData(true)
		code, text := c.upload("STOR uncommitted.bin", dc, data[:100<<10])
		if code != 451 {
			t.Fatalf("STOR whose commit fails: %d %s, want 451", code, text)
		}
		if _, err := ts.readObject(t, "alice/uncommitted.bin"); err == nil {
			t.Fatal("an upload whose commit failed is visible")
		}
	})
	t.Run("overwrite-fails-keeps-old", func(t *testing.T) {
		fb.failWriteAfter.Store(512 << 10)
		defer fb.failWriteAfter.Store(0)
		dc := c.openData(true)
		if code, _ := uploadTolerant(t, c, "STOR existing.bin", dc, randomBytes(2<<20, 10)); code != 451 {
			t.Fatalf("overwrite with a failing store: %d, want 451", code)
		}
		if got, err := ts.readObject(t, "alice/existing.bin"); err != nil || !bytes.Equal(got, data) {
			t.Fatal("a failed overwrite damaged the existing file")
		}
	})
	t.Run("read-fails", func(t *testing.T) {
		fb.failReadAfter.Store(1 << 20)
		defer fb.failReadAfter.Store(0)
		dc := c.openData(true)
		got, code, text := c.download("RETR existing.bin", dc)
		if code != 451 && code != 426 {
			t.Fatalf("RETR with a failing store: %d %s after %d bytes, want 451 or 426", code, text, len(got))
		}
		if len(got) >= len(data) {
			t.Fatal("the client got the whole file and an error")
		}
	})
	// The session, and the server, go on.
	dc := c.openData(true)
	if got, code, _ := c.download("RETR existing.bin", dc); code != 226 || !bytes.Equal(got, data) {
		t.Fatalf("RETR after the faults: %d, %d bytes", code, len(got))
	}
}

// uploadTolerant is rawClient.upload for uploads the server may cut off:
// a write error on the data connection is expected, the reply is not.
func uploadTolerant(t *testing.T, c *rawClient, line string, dc io.WriteCloser, data []byte) (int, string) {
	t.Helper()
	c.send(line)
	code, text := c.reply()
	if code != 150 {
		dc.Close()
		return code, text
	}
	dc.Write(data)
	dc.Close()
	return c.reply()
}
