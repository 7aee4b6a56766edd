package ftps_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
	// failList fails a listing's pages, after List itself succeeded.
	failList atomic.Bool
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

func (b *faultyBucket) List(ctx context.Context, dir string) (backends.Lister, error) {
	l, err := b.Bucket.List(ctx, dir)
	if err != nil || !b.f.failList.Load() {
		return l, err
	}
	return faultyLister{l}, nil
}

type faultyLister struct{ backends.Lister }

func (faultyLister) Next(context.Context) ([]backends.Entry, error) { return nil, errStoreDown }

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

// dataModes are the ways a data connection is made, each of which a
// failure must be told through the same way.
var dataModes = []struct {
	name string
	open func(c *rawClient) net.Conn
}{
	{"passive", func(c *rawClient) net.Conn { return c.openData(true) }},
	{"active", func(c *rawClient) net.Conn { return c.openActive(true) }},
}

// transferLogged counts the server's transfer log lines for verb with
// result whose err names what (the side that failed).
func transferLogged(ts *testServer, verb, result, what string) int {
	n := 0
	for _, line := range strings.Split(ts.logs.String(), "\n") {
		if strings.Contains(line, " msg=transfer ") && strings.Contains(line, " command="+verb+" ") &&
			strings.Contains(line, fmt.Sprintf("result=%q", result)) && strings.Contains(line, what) {
			n++
		}
	}
	return n
}

// wantLogged fails unless one more transfer log line says result and
// what than before.
func wantLogged(t *testing.T, ts *testServer, verb, result, what string, before int) {
	t.Helper()
	if got := transferLogged(ts, verb, result, what); got != before+1 {
		t.Errorf("%d new %s log lines with result %q and %q, want 1", got-before, verb, result, what)
	}
}

func TestStorageFailuresMidTransfer(t *testing.T) {
	fb := &faultyBackend{}
	ts := startServer(t, func(s *setup) {
		s.wrap = func(b backends.Backend) backends.Backend { fb.Backend = b; return fb }
	})
	data := randomBytes(4<<20, 9)
	ts.putObject(t, "alice/existing.bin", data)
	c := loggedIn(t, ts)
	const storeDown = "injected store failure"

	for _, mode := range dataModes {
		for _, verb := range []string{"STOR broken.bin", "APPE broken.bin", "STOU"} {
			name := strings.Fields(verb)[0]
			t.Run("write-fails/"+name+"/"+mode.name, func(t *testing.T) {
				fb.failWriteAfter.Store(1 << 20)
				defer fb.failWriteAfter.Store(0)
				before := transferLogged(ts, name, "storage error", "storage write: "+storeDown)
				dc := mode.open(c)
				code, text := uploadTolerant(t, c, verb, dc, data)
				if code != 451 || !strings.Contains(text, "Storage temporarily unavailable") {
					t.Fatalf("%s with a failing store: %d %s, want 451 with a clear message", name, code, text)
				}
				wantLogged(t, ts, name, "storage error", "storage write: "+storeDown, before)
				if _, err := ts.readObject(t, "alice/broken.bin"); err == nil {
					t.Fatal("a failed upload left an object")
				}
			})
		}
	}
	t.Run("write-fails/ascii", func(t *testing.T) {
		fb.failWriteAfter.Store(1 << 20)
		defer fb.failWriteAfter.Store(0)
		c.must("TYPE A", 200)
		defer c.must("TYPE I", 200)
		before := transferLogged(ts, "STOR", "storage error", "storage write: "+storeDown)
		code, _ := uploadTolerant(t, c, "STOR broken.txt", c.openData(true), bytes.Repeat([]byte("line\r\n"), 1<<19))
		if code != 451 {
			t.Fatalf("ASCII STOR with a failing store: %d, want 451", code)
		}
		wantLogged(t, ts, "STOR", "storage error", "storage write: "+storeDown, before)
	})
	t.Run("commit-fails", func(t *testing.T) {
		fb.failCommit.Store(true)
		defer fb.failCommit.Store(false)
		before := transferLogged(ts, "STOR", "commit failed", "storage commit: "+storeDown)
		dc := c.openData(true)
		code, text := c.upload("STOR uncommitted.bin", dc, data[:100<<10])
		if code != 451 {
			t.Fatalf("STOR whose commit fails: %d %s, want 451", code, text)
		}
		wantLogged(t, ts, "STOR", "commit failed", "storage commit: "+storeDown, before)
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
	// A store failing in the middle of a download is the storage side's
	// failure, however the data connection was made and whatever the
	// type: 451, never the 426 of a cut data connection.
	for _, mode := range dataModes {
		for _, typ := range []string{"I", "A"} {
			t.Run("read-fails/"+mode.name+"/TYPE "+typ, func(t *testing.T) {
				fb.failReadAfter.Store(1 << 20)
				defer fb.failReadAfter.Store(0)
				c.must("TYPE "+typ, 200)
				defer c.must("TYPE I", 200)
				before := transferLogged(ts, "RETR", "storage error", "storage read: "+storeDown)
				got, code, text := c.download("RETR existing.bin", mode.open(c))
				if code != 451 || !strings.Contains(text, "Storage temporarily unavailable") {
					t.Fatalf("RETR with a failing store: %d %s after %d bytes, want 451", code, text, len(got))
				}
				if len(got) >= len(data) {
					t.Fatal("the client got the whole file and an error")
				}
				wantLogged(t, ts, "RETR", "storage error", "storage read: "+storeDown, before)
			})
		}
	}
	// A failed download ends without close_notify, so that even a client
	// that does not know the size sees the file as cut; a whole one ends
	// with it.
	for _, fail := range []bool{true, false} {
		t.Run(fmt.Sprintf("close_notify/failed=%v", fail), func(t *testing.T) {
			if fail {
				fb.failReadAfter.Store(1 << 20)
				defer fb.failReadAfter.Store(0)
			}
			raw := &clientEOFWatch{Conn: c.openData(false)}
			got, code, _ := c.download("RETR existing.bin", &lazyTLS{Conn: raw, cfg: c.tls})
			if fail != (code == 451) || fail == (len(got) == len(data)) {
				t.Fatalf("RETR: %d after %d bytes", code, len(got))
			}
			if raw.eof.Load() != fail {
				t.Fatalf("the data connection ended without close_notify: %v, want %v", raw.eof.Load(), fail)
			}
		})
	}
	for _, verb := range []string{"LIST", "NLST", "MLSD"} {
		t.Run("list-fails/"+verb, func(t *testing.T) {
			fb.failList.Store(true)
			defer fb.failList.Store(false)
			before := transferLogged(ts, verb, "storage error", "storage list: "+storeDown)
			if _, code, text := c.download(verb, c.openData(true)); code != 451 {
				t.Fatalf("%s with a failing store: %d %s, want 451", verb, code, text)
			}
			wantLogged(t, ts, verb, "storage error", "storage list: "+storeDown, before)
		})
	}
	// The session, and the server, go on.
	dc := c.openData(true)
	if got, code, _ := c.download("RETR existing.bin", dc); code != 226 || !bytes.Equal(got, data) {
		t.Fatalf("RETR after the faults: %d, %d bytes", code, len(got))
	}
}

// TestClientCutsMidTransfer: a client whose data connection breaks (a
// reset, not a close) is the network side's failure: 426, and the log
// says the data connection. Nothing of a cut upload is stored.
func TestClientCutsMidTransfer(t *testing.T) {
	ts := startServer(t)
	big := randomBytes(32<<20, 11)
	ts.putObject(t, "alice/big.bin", big)
	c := loggedIn(t, ts)
	for _, mode := range dataModes {
		t.Run("download/"+mode.name, func(t *testing.T) {
			before := transferLogged(ts, "RETR", "connection lost", "data connection write:")
			dc := mode.open(c)
			c.send("RETR big.bin")
			c.expect(150)
			dc.SetDeadline(time.Now().Add(15 * time.Second))
			if _, err := io.ReadFull(dc, make([]byte, 64<<10)); err != nil {
				t.Fatal(err)
			}
			cut(t, dc)
			if code, text := c.reply(); code != 426 {
				t.Fatalf("RETR whose client reset the data connection: %d %s, want 426", code, text)
			}
			wantLogged(t, ts, "RETR", "connection lost", "data connection write:", before)
		})
		t.Run("upload/"+mode.name, func(t *testing.T) {
			before := transferLogged(ts, "STOR", "connection lost", "data connection read:")
			dc := mode.open(c)
			c.send("STOR cut.bin")
			c.expect(150)
			dc.SetDeadline(time.Now().Add(15 * time.Second))
			if _, err := dc.Write(big[:1<<20]); err != nil {
				t.Fatal(err)
			}
			cut(t, dc)
			if code, text := c.reply(); code != 426 {
				t.Fatalf("STOR whose client reset the data connection: %d %s, want 426", code, text)
			}
			wantLogged(t, ts, "STOR", "connection lost", "data connection read:", before)
			if _, err := ts.readObject(t, "alice/cut.bin"); err == nil {
				t.Fatal("a cut upload was stored")
			}
		})
	}
}

// clientEOFWatch records whether the raw connection under the client's
// TLS reached EOF: crypto/tls reads no further after a close_notify, so
// EOF seen here means the server cut the connection without one.
type clientEOFWatch struct {
	net.Conn
	eof atomic.Bool
}

func (w *clientEOFWatch) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	if errors.Is(err, io.EOF) {
		w.eof.Store(true)
	}
	return n, err
}

// cut resets a data connection: no close_notify, no FIN, an RST.
func cut(t *testing.T, dc net.Conn) {
	t.Helper()
	raw := rawTCP(t, dc)
	raw.SetLinger(0)
	raw.Close()
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
