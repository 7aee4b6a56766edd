package mapping

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/ftps"
)

// fastBackend hands out buckets whose writers have the fast path
// (io.ReaderFrom), as the S3 and Azure drivers' do, over the memory
// store; it counts which way the bytes came in.
type fastBackend struct {
	backends.Backend
	readFroms, writes atomic.Int64
}

func (f *fastBackend) Bucket(name string) (backends.Bucket, error) {
	b, err := f.Backend.Bucket(name)
	if err != nil {
		return nil, err
	}
	return &fastBucket{Bucket: b, f: f}, nil
}

type fastBucket struct {
	backends.Bucket
	f *fastBackend
}

func (b *fastBucket) Create(ctx context.Context, key string, opts backends.CreateOptions) (backends.Writer, error) {
	w, err := b.Bucket.Create(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	return &fastWriter{Writer: w, f: b.f}, nil
}

type fastWriter struct {
	backends.Writer
	f *fastBackend
}

func (w *fastWriter) Write(p []byte) (int, error) {
	w.f.writes.Add(1)
	return w.Writer.Write(p)
}

func (w *fastWriter) ReadFrom(r io.Reader) (int64, error) {
	w.f.readFroms.Add(1)
	return io.Copy(struct{ io.Writer }{w.Writer}, r)
}

// limitUser logs in a user with upload_max_bytes 10 over be.
func limitUser(t *testing.T, be backends.Backend) ftps.FileSystem {
	t.Helper()
	fs, err := login(testUsers(t, be, UserConfig{Name: "acme", PasswordHash: testBcrypt(t, "pw"), Backend: "mem",
		Bucket: "b", Prefix: "acme", Permissions: []string{"*"}, UploadMaxBytes: 10}), "acme", "pw")
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestLimitKeepsFastPath: the upload_max_bytes wrapper has the store
// writer's fast path exactly when the store writer has one, uses it (no
// Write at all), and still enforces the limit to the byte: a file of
// the limit is stored, one byte more fails with ErrFileTooLarge and
// nothing is committed, however the source splits its reads.
func TestLimitKeepsFastPath(t *testing.T) {
	ctx := context.Background()
	plain := newTestBackend()
	w, err := limitUser(t, plain).Create(ctx, "/f", 0, backends.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.(io.ReaderFrom); ok {
		t.Error("the limit over a writer without a fast path claims one (its ReadFrom would be a copy loop)")
	}
	w.Abort()

	fb := &fastBackend{Backend: newTestBackend()}
	fs := limitUser(t, fb)
	bucket, _ := fb.Backend.Bucket("b")
	for _, c := range []struct {
		name   string
		offset int64
		data   string
		split  bool // the source returns one byte per Read
		want   error
		stored string
	}{
		{"at the limit", 0, "0123456789", false, nil, "0123456789"},
		{"at the limit, byte by byte", 0, "0123456789", true, nil, "0123456789"},
		{"one byte over", 0, "0123456789x", false, backends.ErrFileTooLarge, ""},
		{"one byte over, byte by byte", 0, "0123456789x", true, backends.ErrFileTooLarge, ""},
		{"far over", 0, strings.Repeat("z", 1<<20), false, backends.ErrFileTooLarge, ""},
		{"resume to the limit", 4, "456789", false, nil, "0123456789"},
		{"resume one byte over", 4, "456789x", false, backends.ErrFileTooLarge, "0123456789"},
	} {
		t.Run(c.name, func(t *testing.T) {
			key := "acme/" + strings.ReplaceAll(c.name, " ", "-")
			if c.offset > 0 {
				put(t, bucket, key, "0123456789")
			}
			fb.readFroms.Store(0)
			fb.writes.Store(0)
			w, err := fs.Create(ctx, "/"+strings.TrimPrefix(key, "acme/"), c.offset, backends.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := w.(io.ReaderFrom); !ok {
				t.Fatal("the limit over a writer with a fast path drops it")
			}
			// A network connection, as in a transfer: no WriteTo, which
			// io.Copy would prefer to the writer's ReadFrom.
			var src io.Reader = struct{ io.Reader }{strings.NewReader(c.data)}
			if c.split {
				src = iotest.OneByteReader(src)
			}
			_, err = io.Copy(w, src)
			if err == nil {
				err = w.Commit()
			} else if cerr := w.Commit(); !errors.Is(cerr, backends.ErrFileTooLarge) {
				t.Errorf("Commit after the limit: %v, want ErrFileTooLarge", cerr)
			}
			w.Abort()
			if !errors.Is(err, c.want) || (err == nil) != (c.want == nil) {
				t.Fatalf("upload: %v, want %v", err, c.want)
			}
			if n, m := fb.readFroms.Load(), fb.writes.Load(); n != 1 || m != 0 {
				t.Errorf("the store writer saw %d ReadFroms and %d Writes, want 1 and 0", n, m)
			}
			got, ok := get(t, bucket, key)
			if c.stored == "" && ok {
				t.Errorf("an upload past the limit was stored (%d bytes)", len(got))
			}
			if c.stored != "" && got != c.stored {
				t.Errorf("stored %q, want %q", got, c.stored)
			}
		})
	}
}
