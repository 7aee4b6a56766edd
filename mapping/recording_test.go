package mapping

import (
	"context"
	"slices"
	"sync"

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

func (r *recordingBucket) Open(ctx context.Context, key string, off int64) (backends.Reader, error) {
	r.record(key)
	return r.Bucket.Open(ctx, key, off)
}

func (r *recordingBucket) Create(ctx context.Context, key string, opts backends.CreateOptions) (backends.Writer, error) {
	r.record(key)
	return r.Bucket.Create(ctx, key, opts)
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

// recordingBackend wraps a backend and hands out one recording handle
// per bucket name.
type recordingBackend struct {
	inner   backends.Backend
	mu      sync.Mutex
	buckets map[string]*recordingBucket
}

func newRecordingBackend(inner backends.Backend) *recordingBackend {
	return &recordingBackend{inner: inner, buckets: make(map[string]*recordingBucket)}
}

func (r *recordingBackend) Bucket(name string) (backends.Bucket, error) {
	return r.bucket(name)
}

func (r *recordingBackend) bucket(name string) (*recordingBucket, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.buckets[name]; ok {
		return b, nil
	}
	inner, err := r.inner.Bucket(name)
	if err != nil {
		return nil, err
	}
	b := &recordingBucket{Bucket: inner}
	r.buckets[name] = b
	return b, nil
}

func (r *recordingBackend) Close() error { return r.inner.Close() }
