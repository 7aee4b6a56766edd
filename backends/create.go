package backends

import (
	"context"
	"time"
)

// CreateOptions say, in the call, what a write carries besides its bytes.
// The zero value is a plain upload.
type CreateOptions struct {
	// Origin says who wrote the object. Object stores record it as object
	// metadata (unless the operator turned object_metadata off); local
	// drivers have nowhere to keep it and ignore it.
	Origin Origin
	// Digests, when set, is called once after the last Write and before
	// the object becomes visible, or as soon after as the store allows
	// (see the driver); it returns the digests of the bytes written, by
	// algorithm name ("sha256": hex), for the store to keep beside the
	// object. Drivers without metadata ignore it.
	Digests func() map[string]string
	// Keep > 0 makes the new object start with the first Keep bytes of
	// the object now at key (a resumed upload): the caller's Writes
	// follow them. The store copies them server side where it can. The
	// old object stays intact until Commit; a missing or shorter object
	// is ErrInvalid (from Create or Commit).
	Keep int64
	// IfNotExist makes the write fail with ErrExist, from Create, when a
	// file is at key: the caller says what it requires (an upload by a
	// user who may not overwrite) and the driver checks it with the
	// request it makes anyway, so nobody has to stat the key first (as
	// go-cloud's WriterOptions.IfNotExist). It is checked when the write
	// starts, as a Stat before Create would be: a file that another
	// client commits at key meanwhile is replaced by this one's Commit.
	// Without it a file at key is replaced on Commit. Either way a
	// directory at key is ErrIsDir (see Bucket.Create). With Keep > 0 it
	// is a contradiction, ErrInvalid.
	IfNotExist bool
}

// Origin is who wrote an object, as recorded with it.
type Origin struct {
	User    string // the FTP login name
	Client  string // the client's address (IP, without port)
	Session string // the FTP session's id, as logged
	Started time.Time
}

// IsZero reports whether o names nobody.
func (o Origin) IsZero() bool { return o == Origin{} }

// FileInfo is what a store keeps about a file beyond its Entry.
type FileInfo struct {
	Entry
	// Origin is who uploaded it, when it was uploaded through ftpsbridge
	// with object metadata on.
	Origin Origin
	// Digests are the digests recorded at upload, by algorithm name
	// ("sha256", "sha1", "md5", "crc32"), in lower-case hex.
	Digests map[string]string
}

// Describer is a Bucket that keeps metadata with its files (object
// stores). Describe returns key's FileInfo; like Stat, a missing key is
// ErrNotExist, and a directory returns ErrIsDir.
type Describer interface {
	Describe(ctx context.Context, key string) (FileInfo, error)
}

// Toucher is a Bucket whose files' modification times can be set (MFMT).
// SetModTime changes nothing else about the file; a missing key is
// ErrNotExist, a directory ErrIsDir. Entry.ModTime then reports t.
type Toucher interface {
	SetModTime(ctx context.Context, key string, t time.Time) error
}
