package afs

import (
	"io"
	"os"
	"time"

	"github.com/spf13/afero"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// DefaultListPageSize is the number of entries per List page when
// Options.ListPageSize is 0. It matches the page size of S3 listings, so
// that the FTP layer sees the same paging whatever the driver.
const DefaultListPageSize = 1000

const (
	dirPerm  os.FileMode = 0o750
	filePerm os.FileMode = 0o640
)

// stableTime is the ModTime of directories that have no time of their own
// (a root that does not exist yet). It is fixed rather than time.Now() so
// that repeated listings agree and mirroring clients see no change.
var stableTime = time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)

// Options tunes the contract implementation.
type Options struct {
	// ListPageSize is the number of entries per List page; 0 means
	// DefaultListPageSize.
	ListPageSize int
}

func (o Options) pageSize() int {
	if o.ListPageSize > 0 {
		return o.ListPageSize
	}
	return DefaultListPageSize
}

// Backend serves buckets that are sub-directories of one afero.Fs; bucket
// "" is the file system's root.
type Backend struct {
	fs   afero.Fs
	opts Options
}

// New returns a Backend on fs. Close closes fs if it implements io.Closer.
func New(fs afero.Fs, opts Options) *Backend {
	return &Backend{fs: fs, opts: opts}
}

// Bucket returns the sub-directory name of the file system (the root for
// ""). The directory is created by the first write into it; until then the
// bucket reads as empty. A name that is not a single safe path element
// returns ErrInvalid.
func (b *Backend) Bucket(name string) (backends.Bucket, error) {
	if err := CheckBucketName(name); err != nil {
		return nil, err
	}
	return &bucket{fs: b.fs, base: name, pageSize: b.opts.pageSize()}, nil
}

// Close closes the file system if it can be closed.
func (b *Backend) Close() error {
	if c, ok := b.fs.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// NewBucket returns a Bucket whose root is the root of fs. Drivers that
// confine each bucket with its own file system (package local) use this
// instead of New.
func NewBucket(fs afero.Fs, opts Options) backends.Bucket {
	return &bucket{fs: fs, pageSize: opts.pageSize()}
}

// bucket implements backends.Bucket on fs, below directory base ("" for
// the root of fs).
type bucket struct {
	fs       afero.Fs
	base     string
	pageSize int
}

var _ backends.Bucket = (*bucket)(nil)

// path maps a validated key to a relative, slash-separated name in fs.
// The root is ".", because *os.Root accepts only relative names.
func (b *bucket) path(key string) string {
	switch {
	case b.base == "" && key == "":
		return "."
	case b.base == "":
		return key
	case key == "":
		return b.base
	}
	return b.base + "/" + key
}
