package backends

import (
	"errors"
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

// classified is the list Kind walks, most specific first.
var classified = []error{
	ErrNotEmpty, ErrIsDir, ErrNotDir, ErrQuota, ErrTransient, ErrUnsupported,
	ErrNotExist, ErrExist, ErrPermission, ErrInvalid,
}

// Kind returns the sentinel that err is classified as, or nil when err is
// nil or unclassified.
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
