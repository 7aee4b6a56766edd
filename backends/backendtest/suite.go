// Package backendtest is the conformance suite of the storage contract in
// package backends. Every driver's tests call Run; a driver passes when it
// behaves, through the Bucket interface alone, as the contract's doc
// comments say.
//
// The suite must never look behind the interface (at disk paths, SDK
// clients) and never depend on one case's leftovers: each case asks for a
// fresh bucket. Store-dependent behaviour is declared through Options,
// never guessed.
package backendtest

import (
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// Options declares what the store under test can and cannot do.
type Options struct {
	// PartSize is the store's upload part size; the suite round-trips
	// exactly one part and one part plus a byte. 0 means 5 MiB.
	PartSize int64
	// FileAndDirSameName says the store can hold "a" and "a/b" at once
	// (object stores). When false (file systems), creating below a file
	// must fail instead.
	FileAndDirSameName bool
	// ListPageSize is the driver's List page size. When set, no page may
	// be larger and the large listing must span several pages; 0 skips
	// those two checks.
	ListPageSize int
	// RenamesDirectories says the bucket renames directories (object
	// stores only when configured to); when false, renaming one must be
	// refused with ErrUnsupported and move nothing.
	RenamesDirectories bool
	// PendingUploads, when set, counts unfinished multipart uploads in
	// the bucket of the running case; the suite expects 0 after Abort
	// and after a cancelled write.
	PendingUploads func(t *testing.T) int
	// RawMetadata, when set, reads key's user metadata straight through
	// the store's own SDK (keys lower-cased): the suite checks that what
	// the driver records is really on the object.
	RawMetadata func(t *testing.T, b backends.Bucket, key string) map[string]string
}

const defaultPartSize = 5 << 20

// Run runs the suite as subtests of t. newBucket must return an empty
// bucket that no other case uses; it is called once per case with that
// case's t, so it can register cleanups.
func Run(t *testing.T, newBucket func(t *testing.T) backends.Bucket, opts Options) {
	t.Helper()
	if opts.PartSize <= 0 {
		opts.PartSize = defaultPartSize
	}
	s := &suite{newBucket: newBucket, opts: opts}
	groups := [][]testCase{
		roundTripCases, nameCases, listCases, readCases,
		writeCases, renameCases, failureCases, dirCases,
		resumeCases, conditionCases, metadataCases,
	}
	for _, group := range groups {
		for _, c := range group {
			t.Run(c.name, func(t *testing.T) { c.run(t, s) })
		}
	}
}

type suite struct {
	newBucket func(t *testing.T) backends.Bucket
	opts      Options
}

type testCase struct {
	name string
	run  func(t *testing.T, s *suite)
}

// bucket returns a fresh, empty bucket for the running case.
func (s *suite) bucket(t *testing.T) backends.Bucket {
	t.Helper()
	b := s.newBucket(t)
	if b == nil {
		t.Fatal("newBucket returned nil")
	}
	return b
}

// checkNoPendingUploads fails if the store reports unfinished uploads.
func (s *suite) checkNoPendingUploads(t *testing.T) {
	t.Helper()
	if s.opts.PendingUploads == nil {
		return
	}
	if n := s.opts.PendingUploads(t); n != 0 {
		t.Errorf("%d unfinished multipart uploads remain, want 0", n)
	}
}
