package objstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// fakeStore is an in-memory Store with S3's semantics (flat keys, "a" and
// "a/b" at once, delimiter listings in key order), for unit tests of the
// logic in this package. The drivers are tested against real servers.
type fakeStore struct {
	mu      sync.Mutex
	objects map[string]fakeObject
	pending map[*fakeUpload]bool
	version int
	opts    PartOptions
	// fail, when set, may fail a Copy ("copy", destination key), a
	// Delete ("delete", key) or a Get ("get", "key@offset") before it
	// happens.
	fail  func(op, key string) error
	gets  atomic.Int32 // Get calls
	lists atomic.Int32 // List calls
}

func (s *fakeStore) injected(op, key string) error {
	s.mu.Lock()
	fail := s.fail
	s.mu.Unlock()
	if fail == nil {
		return nil
	}
	return fail(op, key)
}

type fakeObject struct {
	data    []byte
	mod     time.Time
	meta    map[string]string
	version string
}

func newFakeStore(opts PartOptions) *fakeStore {
	return &fakeStore{objects: map[string]fakeObject{}, pending: map[*fakeUpload]bool{}, opts: opts}
}

func (s *fakeStore) Head(_ context.Context, key string) (Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[key]
	if !ok {
		return Object{}, fmt.Errorf("%q: %w", key, backends.ErrNotExist)
	}
	return Object{Key: key, Size: int64(len(o.data)), ModTime: o.mod, Version: o.version, Metadata: o.meta}, nil
}

func (s *fakeStore) List(_ context.Context, prefix, token string, limit int) (Page, error) {
	s.lists.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.objects))
	for k := range s.objects {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if limit <= 0 {
		limit = 1000
	}
	var page Page
	n := 0
	for _, k := range keys {
		if k <= token {
			continue
		}
		if n == limit {
			page.Next = token
			break
		}
		rest := k[len(prefix):]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			p := prefix + rest[:i+1]
			if len(page.Prefixes) == 0 || page.Prefixes[len(page.Prefixes)-1] != p {
				page.Prefixes = append(page.Prefixes, p)
				n++
			}
			// Skip the rest of this prefix, as S3 does.
			token = p + "\xff"
			continue
		}
		o := s.objects[k]
		page.Objects = append(page.Objects, Object{Key: k, Size: int64(len(o.data)), ModTime: o.mod, Version: o.version})
		n++
		token = k
	}
	return page, nil
}

func (s *fakeStore) Get(_ context.Context, key string, offset, length int64, version string) (io.ReadCloser, error) {
	if err := s.injected("get", fmt.Sprintf("%s@%d", key, offset)); err != nil {
		return nil, err
	}
	s.gets.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[key]
	if !ok {
		return nil, fmt.Errorf("%q: %w", key, backends.ErrNotExist)
	}
	if version != "" && o.version != version {
		return nil, fmt.Errorf("%q changed: %w", key, backends.ErrTransient)
	}
	data := o.data[offset:]
	if length > 0 {
		data = data[:min(length, int64(len(data)))]
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

func (s *fakeStore) put(key string, data []byte) { s.putMeta(key, data, nil) }

func (s *fakeStore) putMeta(key string, data []byte, meta map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++
	s.objects[key] = fakeObject{data: data, mod: time.Now(), meta: meta, version: fmt.Sprint(s.version)}
}

func (s *fakeStore) PutEmpty(_ context.Context, key string) error { s.put(key, nil); return nil }

func (s *fakeStore) Create(ctx context.Context, key string, opts WriteOptions) (backends.Writer, error) {
	return CreateWithHead(ctx, s, NewPartWriter(ctx, &fakeUpload{s: s, key: key, wopts: opts}, s.opts), opts)
}

func (s *fakeStore) UpdateMetadata(_ context.Context, obj Object, set map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[obj.Key]
	if !ok || o.version != obj.Version {
		return fmt.Errorf("update metadata: %w", backends.ErrTransient)
	}
	o.meta = Merged(o.meta, set)
	s.objects[obj.Key] = o
	return nil
}

func (s *fakeStore) Copy(_ context.Context, src Object, dst string) error {
	if err := s.injected("copy", dst); err != nil {
		return err
	}
	s.mu.Lock()
	o, ok := s.objects[src.Key]
	s.mu.Unlock()
	if !ok || o.version != src.Version {
		return fmt.Errorf("copy source: %w", backends.ErrTransient)
	}
	s.putMeta(dst, slices.Clone(o.data), o.meta)
	return nil
}

func (s *fakeStore) Delete(_ context.Context, key string) error {
	if err := s.injected("delete", key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.objects, key)
	return nil
}

func (s *fakeStore) pendingUploads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// fakeUpload is a PartUpload into fakeStore, with hooks for tests.
type fakeUpload struct {
	s     *fakeStore
	key   string
	wopts WriteOptions
	mu    sync.Mutex
	parts map[int][]byte
	// onPart, when set, runs in UploadPart before the part is stored.
	onPart  func(ctx context.Context, n int) error
	begins  int
	whole   int
	aborted int
}

func (u *fakeUpload) PutWhole(_ context.Context, data []byte) error {
	u.whole++
	u.s.putMeta(u.key, slices.Clone(data), u.meta())
	return nil
}

func (u *fakeUpload) Begin(context.Context) error {
	u.mu.Lock()
	u.begins++
	u.parts = map[int][]byte{}
	u.mu.Unlock()
	u.s.mu.Lock()
	u.s.pending[u] = true
	u.s.mu.Unlock()
	return nil
}

func (u *fakeUpload) UploadPart(ctx context.Context, n int, data []byte) (Part, error) {
	if u.onPart != nil {
		if err := u.onPart(ctx, n); err != nil {
			return Part{}, err
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.parts[n] = slices.Clone(data)
	return Part{ID: fmt.Sprint("etag-", n)}, nil
}

func (u *fakeUpload) Complete(_ context.Context, parts []Part) error {
	u.mu.Lock()
	var all []byte
	for i, p := range parts {
		if p.N != i+1 || p.ID != fmt.Sprint("etag-", p.N) {
			u.mu.Unlock()
			return fmt.Errorf("part %d out of order or wrong ID: %+v: %w", i+1, p, backends.ErrInvalid)
		}
		all = append(all, u.parts[p.N]...)
	}
	u.mu.Unlock()
	u.s.putMeta(u.key, all, u.meta())
	u.s.mu.Lock()
	delete(u.s.pending, u)
	u.s.mu.Unlock()
	return nil
}

func (u *fakeUpload) Abort(context.Context) error {
	u.mu.Lock()
	u.aborted++
	u.mu.Unlock()
	u.s.mu.Lock()
	delete(u.s.pending, u)
	u.s.mu.Unlock()
	return nil
}

// meta is what the object gets on commit.
func (u *fakeUpload) meta() map[string]string {
	if u.wopts.Final != nil {
		return Merged(u.wopts.Metadata, u.wopts.Final())
	}
	return u.wopts.Metadata
}
