package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// Options shape the Bucket of NewBucket.
type Options struct {
	// ListPageSize is the number of keys asked for per listing request;
	// 0 leaves it to the store (1,000 in S3, GCS and Azure).
	ListPageSize int
	// ReadStallTimeout fails (or resumes) a download from which the
	// store has sent nothing for this long; 0 means one minute.
	ReadStallTimeout time.Duration
	// Rename says whether, and how far, directories may be renamed.
	Rename DirRename
	// Download sets parallel ranged reads of one download.
	Download Download
	// Metadata says what is recorded with each object.
	Metadata Metadata
	// ModTimes, set by a driver whose listings carry no metadata (S3),
	// makes listings show the times MFMT recorded: each file not yet in
	// it is looked up once with a Head (see listtimes.go). Nil lists the
	// store's own times. ModTimesNamespace tells this bucket's keys from
	// another's in a ModTimes that several share (the bucket name).
	ModTimes          *ModTimes
	ModTimesNamespace string
}

const defaultReadStallTimeout = time.Minute

// NewBucket returns the backends.Bucket over s.
//
// Directory model: a directory exists if its marker object ("dir/") or
// any key below it exists; Mkdir writes the marker; uploads need no
// parent markers; Rmdir removes only an empty directory's marker. When a
// store holds both a file "a" and keys below "a/", the file wins: Stat
// and List show the file, and the keys below stay reachable by full path.
func NewBucket(s Store, opts Options) backends.Bucket {
	if opts.ReadStallTimeout <= 0 {
		opts.ReadStallTimeout = defaultReadStallTimeout
	}
	return &bucket{s: s, opts: opts}
}

type bucket struct {
	s    Store
	opts Options
}

// headResult is what a command's Memo remembers of one Head.
type headResult struct {
	obj Object
	err error
}

type memoKey struct {
	s   Store
	key string
}

// head is Store.Head, remembered for the running command.
func (b *bucket) head(ctx context.Context, key string) (Object, error) {
	memo := backends.MemoFrom(ctx)
	if v, ok := memo.Load(memoKey{b.s, key}); ok {
		r := v.(headResult)
		return r.obj, r.err
	}
	obj, err := b.s.Head(ctx, key)
	if err == nil || errors.Is(err, backends.ErrNotExist) {
		memo.Store(memoKey{b.s, key}, headResult{obj, err})
	}
	return obj, err
}

// forget drops what the command remembered, after a mutation: a write can
// change the answer for its key and for every directory above it, and a
// command makes at most a mutation or two, so dropping all is simplest.
func (b *bucket) forget(ctx context.Context) {
	backends.MemoFrom(ctx).Reset()
}

// probeResult is what a command's Memo remembers of one probeDir.
type probeResult struct {
	exists, children bool
	marker           Object
}

// probeDir looks for dir's marker or any key below it with one listing
// request of two keys: the marker, if present, sorts first ("dir/" is the
// smallest key with that prefix). It returns whether the directory
// exists, its marker (Key "" when there is none) and whether it holds
// anything besides the marker.
//
// Remembered for the running command: a STOR of a new file asks once
// whether its key is a directory (the Stat before it, then Create).
func (b *bucket) probeDir(ctx context.Context, dir string) (exists bool, marker Object, children bool, err error) {
	prefix := dirPrefix(dir)
	memo := backends.MemoFrom(ctx)
	if v, ok := memo.Load(memoKey{b.s, prefix}); ok {
		r := v.(probeResult)
		return r.exists, r.marker, r.children, nil
	}
	page, err := b.s.List(ctx, prefix, "", 2)
	if err != nil {
		return false, Object{}, false, err
	}
	n := len(page.Objects) + len(page.Prefixes)
	if len(page.Objects) > 0 && page.Objects[0].Key == prefix {
		marker = page.Objects[0]
		n--
	}
	r := probeResult{exists: n > 0 || marker.Key != "", marker: marker, children: n > 0 || page.Next != ""}
	memo.Store(memoKey{b.s, prefix}, r)
	return r.exists, r.marker, r.children, nil
}

func fileEntry(o Object) backends.Entry {
	return backends.Entry{Name: baseName(o.Key), Size: o.Size, ModTime: modTime(o)}
}

func dirEntry(name string, marker Object) backends.Entry {
	t := implicitDirTime
	if marker.Key != "" && !marker.ModTime.IsZero() {
		t = marker.ModTime
	}
	return backends.Entry{Name: name, IsDir: true, ModTime: t}
}

func (b *bucket) Stat(ctx context.Context, key string) (backends.Entry, error) {
	if err := checkKey(key); err != nil {
		return backends.Entry{}, err
	}
	if key == "" {
		return dirEntry("", Object{}), nil
	}
	obj, err := b.head(ctx, key)
	if err == nil {
		return fileEntry(obj), nil
	}
	if !errors.Is(err, backends.ErrNotExist) {
		return backends.Entry{}, err
	}
	exists, marker, _, err := b.probeDir(ctx, key)
	if err != nil {
		return backends.Entry{}, err
	}
	if !exists {
		return backends.Entry{}, fmt.Errorf("%q: %w", key, backends.ErrNotExist)
	}
	return dirEntry(baseName(key), marker), nil
}

// missing returns the error for a key that is not a file: ErrIsDir when
// it is a directory, else ErrNotExist.
func (b *bucket) missing(ctx context.Context, key string) error {
	exists, _, _, err := b.probeDir(ctx, key)
	switch {
	case err != nil:
		return err
	case exists:
		return fmt.Errorf("%q: %w", key, backends.ErrIsDir)
	}
	return fmt.Errorf("%q: %w", key, backends.ErrNotExist)
}

func (b *bucket) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if key == "" {
		return nil, fmt.Errorf("the root: %w", backends.ErrIsDir)
	}
	if offset < 0 {
		return nil, fmt.Errorf("negative offset %d: %w", offset, backends.ErrInvalid)
	}
	obj, err := b.head(ctx, key)
	if errors.Is(err, backends.ErrNotExist) {
		return nil, b.missing(ctx, key)
	}
	if err != nil {
		return nil, err
	}
	if offset >= obj.Size {
		return io.NopCloser(strings.NewReader("")), nil
	}
	if b.opts.Download.parallel(obj.Size - offset) {
		return newParallelReader(ctx, b.s, obj, offset, b.opts.Download, b.opts.ReadStallTimeout)
	}
	return newReader(ctx, b.s, obj, offset, obj.Size, b.opts.ReadStallTimeout)
}

func (b *bucket) Create(ctx context.Context, key string, opts backends.CreateOptions) (backends.Writer, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if key == "" {
		return nil, fmt.Errorf("the root: %w", backends.ErrIsDir)
	}
	exists, _, _, err := b.probeDir(ctx, key)
	if err != nil {
		return nil, err
	}
	if exists {
		return nil, fmt.Errorf("%q: %w", key, backends.ErrIsDir)
	}
	wopts, err := b.writeOptions(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	b.forget(ctx)
	w, err := b.s.Create(ctx, key, wopts)
	if err != nil {
		return nil, err
	}
	return &forgetfulWriter{Writer: w, forget: func() { b.forget(ctx) }}, nil
}

// forgetfulWriter drops the command's memory of its key on Commit, so a
// Stat after the upload in the same command sees the new object.
type forgetfulWriter struct {
	backends.Writer
	forget func()
}

// ReadFrom passes the fast path of the store's writer through.
func (w *forgetfulWriter) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := w.Writer.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{w.Writer}, r)
}

func (w *forgetfulWriter) Commit() error {
	defer w.forget()
	return w.Writer.Commit()
}

func (b *bucket) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if key == "" {
		return fmt.Errorf("the root: %w", backends.ErrIsDir)
	}
	if _, err := b.head(ctx, key); errors.Is(err, backends.ErrNotExist) {
		return b.missing(ctx, key)
	} else if err != nil {
		return err
	}
	b.forget(ctx)
	return b.s.Delete(ctx, key)
}

// Rename copies server side, then deletes the source. It is not atomic:
// between the two steps both names exist, and a failed delete leaves
// both (reported as an error, nothing is lost). Directories are renamed
// only when the operator allows it (see renameDir): that is one copy and
// one delete per object below them.
func (b *bucket) Rename(ctx context.Context, from, to string) error {
	if err := checkKey(from); err != nil {
		return err
	}
	if err := checkKey(to); err != nil {
		return err
	}
	if from == "" || to == "" {
		return fmt.Errorf("renaming the root: %w", backends.ErrInvalid)
	}
	src, err := b.head(ctx, from)
	if errors.Is(err, backends.ErrNotExist) {
		err = b.missing(ctx, from)
		if errors.Is(err, backends.ErrIsDir) {
			return b.renameDir(ctx, from, to)
		}
		return err
	}
	if err != nil {
		return err
	}
	if from == to {
		return nil
	}
	if strings.HasPrefix(to, from+"/") {
		return fmt.Errorf("renaming %q below itself: %w", from, backends.ErrInvalid)
	}
	if exists, _, _, err := b.probeDir(ctx, to); err != nil {
		return err
	} else if exists {
		return fmt.Errorf("%q: %w", to, backends.ErrIsDir)
	}
	b.forget(ctx)
	if err := b.s.Copy(ctx, src, to); err != nil {
		return err
	}
	return b.s.Delete(ctx, from)
}

func (b *bucket) Mkdir(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if key == "" {
		return fmt.Errorf("the root: %w", backends.ErrExist)
	}
	if _, err := b.head(ctx, key); err == nil {
		return fmt.Errorf("%q is a file: %w", key, backends.ErrExist)
	} else if !errors.Is(err, backends.ErrNotExist) {
		return err
	}
	exists, _, _, err := b.probeDir(ctx, key)
	if err != nil {
		return err
	}
	if exists {
		return fmt.Errorf("%q: %w", key, backends.ErrExist)
	}
	// Markers for the missing parents too, like mkdir -p: otherwise
	// MKD a/b/c then RMD a/b/c would make a/b vanish with it, since
	// nothing else would hold it in existence.
	missing := []string{key}
	for parent := parentKey(key); parent != ""; parent = parentKey(parent) {
		exists, _, _, err := b.probeDir(ctx, parent)
		if err != nil {
			return err
		}
		if exists {
			break
		}
		missing = append(missing, parent)
	}
	// Outermost first, so a failure half way leaves no gap in the chain.
	for i := len(missing) - 1; i >= 0; i-- {
		b.forget(ctx)
		if err := b.s.PutEmpty(ctx, missing[i]+"/"); err != nil {
			return err
		}
	}
	return nil
}

// parentKey returns the key of the directory holding key ("" for the root).
func parentKey(key string) string {
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return ""
	}
	return key[:i]
}

func (b *bucket) Rmdir(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if key == "" {
		return fmt.Errorf("the root cannot be removed: %w", backends.ErrPermission)
	}
	exists, marker, children, err := b.probeDir(ctx, key)
	if err != nil {
		return err
	}
	switch {
	case children:
		return fmt.Errorf("%q: %w", key, backends.ErrNotEmpty)
	case !exists:
		if _, err := b.head(ctx, key); err == nil {
			return fmt.Errorf("%q: %w", key, backends.ErrNotDir)
		} else if !errors.Is(err, backends.ErrNotExist) {
			return err
		}
		return fmt.Errorf("%q: %w", key, backends.ErrNotExist)
	}
	b.forget(ctx)
	return b.s.Delete(ctx, marker.Key)
}
