package backends

import (
	"errors"
	"fmt"
	"io/fs"
)

// The error vocabulary of the storage contract. Drivers wrap these (with
// fmt.Errorf("...: %w", ErrX)) after classifying their SDK's typed errors;
// callers test with errors.Is. The FTP front end maps each to one reply code
// in one place, so a driver that classifies correctly needs no FTP knowledge.
//
// ErrNotExist, ErrExist, ErrPermission and ErrInvalid are the io/fs
// sentinels, so os and afero errors classify without translation.
var (
	ErrNotExist    = fs.ErrNotExist
	ErrExist       = fs.ErrExist
	ErrPermission  = fs.ErrPermission
	ErrInvalid     = fs.ErrInvalid
	ErrNotEmpty    = errors.New("directory not empty")
	ErrIsDir       = errors.New("is a directory")
	ErrNotDir      = errors.New("not a directory")
	ErrUnsupported = errors.ErrUnsupported
	// ErrQuota reports that a size limit was exceeded.
	ErrQuota = errors.New("storage quota exceeded")
	// ErrTransient reports a failure that may succeed if retried later
	// (the store is unreachable or throttling, after the SDK's retries).
	ErrTransient = errors.New("storage temporarily unavailable")
)

// Refinements of a class above, for failures that deserve a reply of
// their own. They live here, not in the package that first needed them,
// because both sides of the contract return them: a store has per-object
// limits and renames that cannot cross devices, and package mapping
// enforces the same two things for its users (upload_max_bytes, mounts on
// different buckets). The FTP front end, which maps this vocabulary to
// replies, imports backends, while mapping imports the front end. Each
// wraps the class it refines, so errors.Is and Kind see that class too.
var (
	// ErrFileTooLarge reports that one file exceeds a size limit: the
	// user's upload_max_bytes, or the store's largest object (S3's
	// EntityTooLarge, the most parts a multipart upload may have, EFBIG).
	// The upload is discarded. Unlike plain ErrQuota, the store is not
	// full: a smaller file would fit.
	ErrFileTooLarge = fmt.Errorf("file exceeds the upload size limit: %w", ErrQuota)
	// ErrCrossMount reports a rename whose source and target lie in
	// different storage: two mounts on different buckets, or two file
	// systems under one local root (EXDEV). Only a copy could move the
	// file.
	ErrCrossMount = fmt.Errorf("rename across mounts: %w", ErrUnsupported)
)

// classified is the list Kind walks, most specific first.
var classified = []error{
	ErrNotEmpty, ErrIsDir, ErrNotDir, ErrQuota, ErrTransient, ErrUnsupported,
	ErrNotExist, ErrExist, ErrPermission, ErrInvalid,
}

// Kind returns the sentinel that err is classified as, or nil when err is
// nil or unclassified. It returns the class, never a refinement: an
// ErrFileTooLarge is ErrQuota here; test for refinements with errors.Is.
func Kind(err error) error {
	if err == nil {
		return nil
	}
	for _, k := range classified {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}
