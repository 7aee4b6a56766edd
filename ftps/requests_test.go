package ftps_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"sync/atomic"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/ftps"
)

// countingBackend counts the Stats and Opens its buckets are asked, so a
// test can say how many questions a command costs the store.
type countingBackend struct {
	backends.Backend
	stats, opens atomic.Int64
}

func (c *countingBackend) Bucket(name string) (backends.Bucket, error) {
	b, err := c.Backend.Bucket(name)
	if err != nil {
		return nil, err
	}
	return &countingBucket{Bucket: b, c: c}, nil
}

// reset returns the counts so far and starts again from zero.
func (c *countingBackend) reset() (stats, opens int64) {
	return c.stats.Swap(0), c.opens.Swap(0)
}

type countingBucket struct {
	backends.Bucket
	c *countingBackend
}

func (b *countingBucket) Stat(ctx context.Context, key string) (backends.Entry, error) {
	b.c.stats.Add(1)
	return b.Bucket.Stat(ctx, key)
}

func (b *countingBucket) Open(ctx context.Context, key string, offset int64) (backends.Reader, error) {
	b.c.opens.Add(1)
	return b.Bucket.Open(ctx, key, offset)
}

// fastPathBackend hands out buckets whose writers have the fast path
// (io.ReaderFrom), as the S3 and Azure drivers' do, over the memory
// store, and counts which way an upload's bytes came in.
type fastPathBackend struct {
	backends.Backend
	readFroms, writes atomic.Int64
}

func (f *fastPathBackend) Bucket(name string) (backends.Bucket, error) {
	b, err := f.Backend.Bucket(name)
	if err != nil {
		return nil, err
	}
	return &fastPathBucket{Bucket: b, f: f}, nil
}

type fastPathBucket struct {
	backends.Bucket
	f *fastPathBackend
}

func (b *fastPathBucket) Create(ctx context.Context, key string, opts backends.CreateOptions) (backends.Writer, error) {
	w, err := b.Bucket.Create(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	return &fastPathWriter{Writer: w, f: b.f}, nil
}

type fastPathWriter struct {
	backends.Writer
	f *fastPathBackend
}

func (w *fastPathWriter) Write(p []byte) (int, error) {
	w.f.writes.Add(1)
	return w.Writer.Write(p)
}

func (w *fastPathWriter) ReadFrom(r io.Reader) (int64, error) {
	w.f.readFroms.Add(1)
	return io.Copy(struct{ io.Writer }{w.Writer}, r)
}

// TestUploadKeepsFastPath: with every wrapper an upload can pass through
// on (the digest recorder, upload_max_bytes), the store writer's fast
// path is used from the data connection on: one ReadFrom, no Write. The
// limit still holds to the byte, and the digest is of the stored bytes.
func TestUploadKeepsFastPath(t *testing.T) {
	const limit = 300 << 10 // more than one 256 KiB copy buffer
	fb := &fastPathBackend{}
	sink := &eventLog{}
	ts := startServer(t, func(s *setup) {
		s.sink = sink
		s.cfg.Server.Hash.Record = []string{"sha256"}
		s.users[0].UploadMaxBytes = limit
		s.wrap = func(b backends.Backend) backends.Backend { fb.Backend = b; return fb }
	})
	c := loggedIn(t, ts)
	for _, c2 := range []struct {
		name string
		size int
		code int
	}{{"at-limit", limit, 226}, {"over-limit", limit + 1, 552}} {
		fb.readFroms.Store(0)
		fb.writes.Store(0)
		data := bytes.Repeat([]byte{'x'}, c2.size)
		dc := c.openData(true)
		if code, msg := c.upload("STOR "+c2.name, dc, data); code != c2.code {
			t.Fatalf("STOR %s: %d %s, want %d", c2.name, code, msg, c2.code)
		}
		if n, m := fb.readFroms.Load(), fb.writes.Load(); n != 1 || m != 0 {
			t.Errorf("STOR %s: the store writer saw %d ReadFroms and %d Writes, want 1 and 0", c2.name, n, m)
		}
		got, err := ts.readObject(t, "alice/"+c2.name)
		switch {
		case c2.code == 226 && !bytes.Equal(got, data):
			t.Errorf("STOR %s stored %d bytes (%v), want %d", c2.name, len(got), err, len(data))
		case c2.code != 226 && err == nil:
			t.Errorf("STOR %s past the limit stored %d bytes", c2.name, len(got))
		}
	}
	// The recorder hashed what went through the fast path.
	sum := sha256.Sum256(bytes.Repeat([]byte{'x'}, limit))
	var recorded string
	for _, ev := range sink.all() {
		if ev.Kind == ftps.EventUpload && ev.Path == "/at-limit" {
			recorded = ev.Checksums["sha256"]
		}
	}
	if recorded != hex.EncodeToString(sum[:]) {
		t.Errorf("the upload event's sha256 is %q, want %x", recorded, sum)
	}
}
