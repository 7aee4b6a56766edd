// Package backends defines the storage contract that every ftpsbridge driver
// satisfies (local disk, memory, S3, GCS, Azure Blob), and the error
// vocabulary that the FTP front end maps to reply codes.
//
// The contract is shaped for object stores: a directory is a listing of a
// key prefix, reads start at an offset, and writes are staged and become
// visible only on Commit. It must never know about FTP, users or mappings;
// keys it receives are already resolved and confined by package mapping.
// It holds the contract and its errors only: what drivers share to build
// themselves (HTTP status classification, request timeouts, the multipart
// writer) lives in backends/objstore, which callers of the contract never
// import.
package backends

import (
	"context"
	"io"
	"time"
)

// Backend is one configured storage service (an S3 account, a GCS project,
// a local directory). It hands out buckets by name.
type Backend interface {
	// Bucket returns a handle on the named bucket (container, or for local
	// drivers a sub-directory; "" is the driver's root). It does not check
	// that the bucket exists: the first operation reports that.
	Bucket(name string) (Bucket, error)
	// Close releases the backend's resources (connections, caches).
	Close() error
}

// Entry describes one file or directory.
type Entry struct {
	// Name is the last element of the key, without any slash.
	Name string
	// Size is the length in bytes; 0 for directories.
	Size int64
	// ModTime is never the zero time: drivers substitute a stable time for
	// directories that have no timestamp of their own, because FTP clients
	// such as FileZilla hide entries with a zero time.
	ModTime time.Time
	IsDir   bool
}

// Bucket is the storage contract. Keys are slash-separated, never start or
// end with a slash, and never contain "." or ".." elements; "" is the root.
// Every method classifies its errors with the sentinels in errors.go, so
// errors.Is(err, ErrNotExist) holds for a missing key in every driver.
type Bucket interface {
	// Stat describes key. The root ("") is always an existing directory.
	// A directory exists if it was made with Mkdir or if any key lies
	// below it. A missing key returns ErrNotExist.
	Stat(ctx context.Context, key string) (Entry, error)

	// List streams the direct children of directory dir, page by page,
	// each name once, in lexical order: file systems order by Name,
	// object stores by key, where directory "a" sorts as "a/" (after
	// "a-b"). Listing a missing directory yields no entries
	// (object stores cannot tell it from an empty one); listing a file
	// returns ErrNotDir from List or from the first Next.
	List(ctx context.Context, dir string) (Lister, error)

	// Open reads key from offset. An offset at or past the end yields an
	// immediate io.EOF on Read, never an error from Open. A directory
	// returns ErrIsDir; a missing key ErrNotExist. The reader must not mix
	// two versions of the object if it is overwritten while being read:
	// it fails instead. The Reader says what Open learned of the file
	// (its Size), so a caller never needs a Stat before Open.
	Open(ctx context.Context, key string, offset int64) (Reader, error)

	// Create starts a staged write to key. Nothing is visible at key until
	// Commit returns nil; then the whole object is, atomically. Abort (or
	// cancelling ctx) discards everything staged and leaves no trace, not
	// even unfinished multipart uploads. Writing to an existing directory
	// returns ErrIsDir, from Create or from Commit. opts say what the
	// write carries besides its bytes (see CreateOptions).
	Create(ctx context.Context, key string, opts CreateOptions) (Writer, error)

	// Delete removes file key. A missing key returns ErrNotExist; a
	// directory returns ErrIsDir.
	Delete(ctx context.Context, key string) error

	// Rename moves file from to key to, replacing any file at to. A
	// missing source returns ErrNotExist. Renaming a directory may return
	// ErrUnsupported where the store has no directories to rename (object
	// stores, unless configured to copy the tree) or the tree is too large.
	Rename(ctx context.Context, from, to string) error

	// Mkdir makes directory key. An existing file or directory at key
	// returns ErrExist. Parents need not exist.
	Mkdir(ctx context.Context, key string) error

	// Rmdir removes the empty directory key. A directory with children
	// returns ErrNotEmpty; a missing one ErrNotExist; a file ErrNotDir.
	Rmdir(ctx context.Context, key string) error
}

// Reader is an open file: its bytes from the offset given to Open. A
// Reader may also implement io.WriterTo, the download's fast path, and a
// wrapper must then keep it as a Writer's wrapper keeps io.ReaderFrom.
type Reader interface {
	io.ReadCloser
	// Size is the length of the whole file being read (the version Open
	// found), whatever the offset: a REST past the end is told from it
	// with no request besides Open's own.
	Size() int64
}

// Lister streams a directory listing. Callers must Close it.
type Lister interface {
	// Next returns the next page of entries, or io.EOF when none remain.
	// A page may be empty only together with an error.
	Next(ctx context.Context) ([]Entry, error)
	Close() error
}

// Writer is a staged upload. Exactly one of Commit or Abort takes effect;
// calling Abort after Commit, or either twice, is harmless.
//
// The fast path: a Writer may also implement io.ReaderFrom, whose
// ReadFrom reads the upload's source straight into the driver's own
// staging buffers (the part buffers of S3 and Azure), where a Write loop
// would copy every byte once more through the caller's buffer (a visible
// share of a small server's CPU). ReadFrom returns at the source's
// io.EOF with a nil error, like io.Copy, which finds it. The ability is
// optional, like go-cloud's driver.Uploader, and so lost by any wrapper
// that does not know it: a type that wraps a Writer must implement
// io.ReaderFrom exactly when the Writer it wraps does, passing the
// source through to the wrapped ReadFrom (with whatever the wrapper does
// to the bytes), and never fall back to a copy loop of its own.
type Writer interface {
	io.Writer
	// Commit finishes the upload and makes the object visible. It returns
	// only after the store has durably accepted the whole object.
	Commit() error
	// Abort discards the upload and everything staged for it.
	Abort() error
}
