package objstore

import (
	"context"
	"errors"
	"fmt"
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

// probeDir looks for dir's marker or any key below it with one listing
// request of two keys: the marker, if present, sorts first ("dir/" is the
// smallest key with that prefix). It returns whether the directory
// exists, its marker (Key "" when there is none) and whether it holds
// anything besides the marker.
func (b *bucket) probeDir(ctx context.Context, dir string) (exists bool, marker Object, children bool, err error) {
	prefix := dirPrefix(dir)
	page, err := b.s.List(ctx, prefix, "", 2)
	if err != nil {
		return false, Object{}, false, err
	}
	n := len(page.Objects) + len(page.Prefixes)
	if len(page.Objects) > 0 && page.Objects[0].Key == prefix {
		marker = page.Objects[0]
		n--
	}
	return n > 0 || marker.Key != "", marker, n > 0 || page.Next != "", nil
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
	obj, err := b.s.Head(ctx, key)
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

func (b *bucket) Open(ctx context.Context, key string, offset int64) (backends.Reader, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if key == "" {
		return nil, fmt.Errorf("the root: %w", backends.ErrIsDir)
	}
	if offset < 0 {
		return nil, fmt.Errorf("negative offset %d: %w", offset, backends.ErrInvalid)
	}
	obj, err := b.s.Head(ctx, key)
	if errors.Is(err, backends.ErrNotExist) {
		return nil, b.missing(ctx, key)
	}
	if err != nil {
		return nil, err
	}
	if offset >= obj.Size {
		return emptyReader{size: obj.Size}, nil
	}
	if b.opts.Download.parallel(obj.Size - offset) {
		return newParallelReader(ctx, b.s, obj, offset, b.opts.Download, b.opts.ReadStallTimeout)
	}
	return newReader(ctx, b.s, obj, offset, obj.Size, b.opts.ReadStallTimeout)
}

// Create asks the store no more than settles what opts require, before
// the upload starts: a HEAD when the caller resumes the file (it also pins
// the version to keep) or requires it not to exist, and one listing
// request to refuse a directory unless the HEAD found a file (a file wins
// over keys below it). A plain upload costs the listing alone, a resume
// the HEAD alone, IfNotExist of a new file both.
func (b *bucket) Create(ctx context.Context, key string, opts backends.CreateOptions) (backends.Writer, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if key == "" {
		return nil, fmt.Errorf("the root: %w", backends.ErrIsDir)
	}
	if opts.Keep < 0 {
		return nil, fmt.Errorf("negative resume offset %d: %w", opts.Keep, backends.ErrInvalid)
	}
	if opts.Keep > 0 && opts.IfNotExist {
		return nil, fmt.Errorf("resuming %q, which must not exist: %w", key, backends.ErrInvalid)
	}
	var existing Object
	if opts.Keep > 0 || opts.IfNotExist {
		obj, err := b.s.Head(ctx, key)
		switch {
		case err == nil:
			existing = obj
		case !errors.Is(err, backends.ErrNotExist):
			return nil, err
		}
	}
	switch {
	case existing.Key != "" && opts.IfNotExist:
		return nil, fmt.Errorf("%q: %w", key, backends.ErrExist)
	case existing.Key == "":
		exists, _, _, err := b.probeDir(ctx, key)
		if err != nil {
			return nil, err
		}
		if exists {
			return nil, fmt.Errorf("%q: %w", key, backends.ErrIsDir)
		}
	}
	wopts, err := b.writeOptions(key, opts, existing)
	if err != nil {
		return nil, err
	}
	return b.s.Create(ctx, key, wopts)
}

func (b *bucket) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if key == "" {
		return fmt.Errorf("the root: %w", backends.ErrIsDir)
	}
	if _, err := b.s.Head(ctx, key); errors.Is(err, backends.ErrNotExist) {
		return b.missing(ctx, key)
	} else if err != nil {
		return err
	}
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
	src, err := b.s.Head(ctx, from)
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
	if _, err := b.s.Head(ctx, key); err == nil {
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
		if _, err := b.s.Head(ctx, key); err == nil {
			return fmt.Errorf("%q: %w", key, backends.ErrNotDir)
		} else if !errors.Is(err, backends.ErrNotExist) {
			return err
		}
		return fmt.Errorf("%q: %w", key, backends.ErrNotExist)
	}
	return b.s.Delete(ctx, marker.Key)
}
