package mapping

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// recordingBucket wraps a bucket and records every key it is asked about,
// so tests can assert that no operation ever touched a key outside the
// user's prefix, whatever the operation's result.
type recordingBucket struct {
	backends.Bucket
	mu   sync.Mutex
	keys []string
}

func (r *recordingBucket) record(keys ...string) {
	r.mu.Lock()
	r.keys = append(r.keys, keys...)
	r.mu.Unlock()
}

func (r *recordingBucket) touched() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.keys)
}

func (r *recordingBucket) Stat(ctx context.Context, key string) (backends.Entry, error) {
	r.record(key)
	return r.Bucket.Stat(ctx, key)
}

func (r *recordingBucket) List(ctx context.Context, dir string) (backends.Lister, error) {
	r.record(dir)
	return r.Bucket.List(ctx, dir)
}

func (r *recordingBucket) Open(ctx context.Context, key string, off int64) (io.ReadCloser, error) {
	r.record(key)
	return r.Bucket.Open(ctx, key, off)
}

func (r *recordingBucket) Create(ctx context.Context, key string) (backends.Writer, error) {
	r.record(key)
	return r.Bucket.Create(ctx, key)
}

func (r *recordingBucket) Delete(ctx context.Context, key string) error {
	r.record(key)
	return r.Bucket.Delete(ctx, key)
}

func (r *recordingBucket) Rename(ctx context.Context, from, to string) error {
	r.record(from, to)
	return r.Bucket.Rename(ctx, from, to)
}

func (r *recordingBucket) Mkdir(ctx context.Context, key string) error {
	r.record(key)
	return r.Bucket.Mkdir(ctx, key)
}

func (r *recordingBucket) Rmdir(ctx context.Context, key string) error {
	r.record(key)
	return r.Bucket.Rmdir(ctx, key)
}

// fakeBackend is a minimal in-memory implementation of the storage
// contract, enough for this package's tests. It hands out one recording
// handle per bucket name.
type fakeBackend struct {
	mu      sync.Mutex
	buckets map[string]*recordingBucket
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{buckets: make(map[string]*recordingBucket)}
}

func (f *fakeBackend) Bucket(name string) (backends.Bucket, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[name]
	if !ok {
		b = &recordingBucket{Bucket: &fakeBucket{files: map[string][]byte{}, dirs: map[string]bool{}}}
		f.buckets[name] = b
	}
	return b, nil
}

func (f *fakeBackend) Close() error { return nil }

var fakeTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

type fakeBucket struct {
	mu    sync.Mutex
	files map[string][]byte
	dirs  map[string]bool
}

func (b *fakeBucket) isDir(key string) bool {
	if key == "" || b.dirs[key] {
		return true
	}
	for k := range b.files {
		if strings.HasPrefix(k, key+"/") {
			return true
		}
	}
	for k := range b.dirs {
		if strings.HasPrefix(k, key+"/") {
			return true
		}
	}
	return false
}

func (b *fakeBucket) Stat(_ context.Context, key string) (backends.Entry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	name := key[strings.LastIndex(key, "/")+1:]
	if data, ok := b.files[key]; ok {
		return backends.Entry{Name: name, Size: int64(len(data)), ModTime: fakeTime}, nil
	}
	if b.isDir(key) {
		return backends.Entry{Name: name, IsDir: true, ModTime: fakeTime}, nil
	}
	return backends.Entry{}, fmt.Errorf("stat %s: %w", key, backends.ErrNotExist)
}

func (b *fakeBucket) List(_ context.Context, dir string) (backends.Lister, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.files[dir]; ok {
		return nil, backends.ErrNotDir
	}
	base := dir + "/"
	if dir == "" {
		base = ""
	}
	children := map[string]backends.Entry{}
	add := func(k string, size int64, isFile bool) {
		rest, ok := strings.CutPrefix(k, base)
		if !ok || rest == "" {
			return
		}
		name, _, deeper := strings.Cut(rest, "/")
		e := backends.Entry{Name: name, ModTime: fakeTime, IsDir: deeper || !isFile}
		if !e.IsDir {
			e.Size = size
		}
		children[name] = e
	}
	for k, v := range b.files {
		add(k, int64(len(v)), true)
	}
	for k := range b.dirs {
		add(k, 0, false)
	}
	var entries []backends.Entry
	for _, name := range slices.Sorted(maps.Keys(children)) {
		entries = append(entries, children[name])
	}
	return &pagedLister{entries: entries, page: 2}, nil
}

// pagedLister returns small pages so that merging across pages is tested.
type pagedLister struct {
	entries []backends.Entry
	page    int
}

func (l *pagedLister) Next(context.Context) ([]backends.Entry, error) {
	if len(l.entries) == 0 {
		return nil, io.EOF
	}
	n := min(l.page, len(l.entries))
	out := l.entries[:n]
	l.entries = l.entries[n:]
	return out, nil
}

func (l *pagedLister) Close() error { return nil }

func (b *fakeBucket) Open(_ context.Context, key string, off int64) (io.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	data, ok := b.files[key]
	if !ok {
		if b.isDir(key) {
			return nil, backends.ErrIsDir
		}
		return nil, backends.ErrNotExist
	}
	off = min(off, int64(len(data)))
	return io.NopCloser(bytes.NewReader(data[off:])), nil
}

func (b *fakeBucket) Create(_ context.Context, key string) (backends.Writer, error) {
	return &fakeWriter{b: b, key: key}, nil
}

type fakeWriter struct {
	b    *fakeBucket
	key  string
	buf  bytes.Buffer
	done bool
}

func (w *fakeWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }

func (w *fakeWriter) Commit() error {
	if w.done {
		return nil
	}
	w.done = true
	w.b.mu.Lock()
	defer w.b.mu.Unlock()
	if w.b.isDir(w.key) {
		return backends.ErrIsDir
	}
	w.b.files[w.key] = bytes.Clone(w.buf.Bytes())
	return nil
}

func (w *fakeWriter) Abort() error { w.done = true; return nil }

func (b *fakeBucket) Delete(_ context.Context, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.files[key]; ok {
		delete(b.files, key)
		return nil
	}
	if b.isDir(key) {
		return backends.ErrIsDir
	}
	return backends.ErrNotExist
}

func (b *fakeBucket) Rename(_ context.Context, from, to string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	data, ok := b.files[from]
	if !ok {
		if b.isDir(from) {
			return backends.ErrUnsupported
		}
		return backends.ErrNotExist
	}
	delete(b.files, from)
	b.files[to] = data
	return nil
}

func (b *fakeBucket) Mkdir(_ context.Context, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.files[key]; ok || b.isDir(key) {
		return backends.ErrExist
	}
	b.dirs[key] = true
	return nil
}

func (b *fakeBucket) Rmdir(_ context.Context, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.files[key]; ok {
		return backends.ErrNotDir
	}
	if !b.isDir(key) {
		return backends.ErrNotExist
	}
	for k := range b.files {
		if strings.HasPrefix(k, key+"/") {
			return backends.ErrNotEmpty
		}
	}
	for k := range b.dirs {
		if strings.HasPrefix(k, key+"/") {
			return backends.ErrNotEmpty
		}
	}
	delete(b.dirs, key)
	return nil
}
