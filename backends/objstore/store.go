// Package objstore turns a flat object store (S3, GCS, Azure Blob) into the
// backends.Bucket contract: directories are emulated with "/"-delimited
// prefixes and "name/" marker objects, keys are checked once, and staged
// multipart uploads get one bounded-memory writer (parts.go) that every
// block-based driver shares.
//
// A driver implements only Store: a handful of raw calls with its SDK's
// errors classified into the backends sentinels. Everything that makes an
// object store look like a file tree lives here, once, so that S3, GCS and
// Azure behave identically through FTP.
//
// The helpers those drivers share for their own calls live here too, not
// in package backends (which is the contract only): KindOfStatus
// classifies an HTTP status into the contract's errors, Bounded puts
// request_timeout on one request.
package objstore

import (
	"context"
	"io"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// Object is what a store reports of one object.
type Object struct {
	Key     string
	Size    int64
	ModTime time.Time
	// Version identifies this exact content (the ETag in S3 and Azure, the
	// generation in GCS); reads and copies are pinned to it so that an
	// overwrite in the middle of a transfer fails it instead of mixing
	// two versions.
	Version string
	// Metadata is the object's user metadata, keys lower-cased. Head
	// always fills it; List where the store lists it at no extra cost
	// (GCS, Azure; not S3).
	Metadata map[string]string
}

// Page is one page of a "/"-delimited listing.
type Page struct {
	// Objects are the keys directly under the prefix, including the
	// prefix's own marker ("dir/") when it exists.
	Objects []Object
	// Prefixes are the common prefixes, each ending in "/".
	Prefixes []string
	// Next is the token of the following page; "" on the last page.
	Next string
}

// Store is the raw object store under one bucket. Keys are full object
// keys (the bucket's configured prefix, if any, is the driver's business).
// Every method returns errors classified with the backends sentinels:
// ErrNotExist for a missing object, ErrPermission for denied access,
// ErrTransient for throttling or an unreachable store after the SDK's own
// retries, and ErrTransient also when a pinned Version no longer matches.
type Store interface {
	// Head describes key, or returns ErrNotExist.
	Head(ctx context.Context, key string) (Object, error)

	// List returns one page of the objects and common prefixes directly
	// under prefix (delimiter "/"), in key order, starting at token ("" for
	// the first page), with at most limit entries when limit > 0.
	List(ctx context.Context, prefix, token string, limit int) (Page, error)

	// Get streams key from offset: length bytes when length > 0 (a ranged
	// read; the range never passes the object's end), else to its end.
	// When version is not "", the read fails (ErrTransient) unless the
	// object still has that version. offset is always below the object's
	// size.
	Get(ctx context.Context, key string, offset, length int64, version string) (io.ReadCloser, error)

	// PutEmpty stores an empty object (directory markers).
	PutEmpty(ctx context.Context, key string) error

	// Create starts a staged upload to key: nothing is visible before
	// Commit, and Abort or a cancelled ctx leaves nothing behind (no
	// object, no unfinished multipart upload). opts carry the metadata
	// to store and the head of an existing object to keep (a resume).
	Create(ctx context.Context, key string, opts WriteOptions) (backends.Writer, error)

	// UpdateMetadata lays set over obj's metadata (obj as Head returned
	// it, pinned to its Version), in place where the store can, else by
	// a server-side copy of the object onto itself; content and key do
	// not change.
	UpdateMetadata(ctx context.Context, obj Object, set map[string]string) error

	// Copy copies src (pinned to src.Version) to key dst, server side,
	// with its metadata.
	Copy(ctx context.Context, src Object, dst string) error

	// Delete removes key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}
