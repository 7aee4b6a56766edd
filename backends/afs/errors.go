package afs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"syscall"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// subject names what failed, for error messages: the operation and the key
// relative to the bucket, never a disk path.
func subject(op, key string) string {
	return op + " " + strconv.Quote(key)
}

// fail builds an error for a condition this package detected itself.
func fail(what string, sentinel error) error {
	return fmt.Errorf("%s: %w", what, sentinel)
}

// classify maps an error from the file system onto the contract's
// sentinels. Use it for operations that create or change names, where
// ENOTDIR means a parent is a file.
func classify(what string, err error) error {
	return wrap(what, kindOf(err, false), err)
}

// classifyLookup is classify for operations that only look a key up: there
// ENOTDIR means a parent of the key is a file, so the key does not exist,
// which is what an object store would answer too.
func classifyLookup(what string, err error) error {
	return wrap(what, kindOf(err, true), err)
}

// errnoKinds classifies system errors that the io/fs sentinels do not
// cover. ENOTEMPTY must be tested before ErrExist, because syscall.Errno
// reports ENOTEMPTY as fs.ErrExist.
var errnoKinds = []struct {
	errno syscall.Errno
	kind  error
}{
	{syscall.ENOTEMPTY, backends.ErrNotEmpty},
	{syscall.EISDIR, backends.ErrIsDir},
	{syscall.ENOSPC, backends.ErrQuota},
	{syscall.EDQUOT, backends.ErrQuota},
	{syscall.EFBIG, backends.ErrFileTooLarge},
	{syscall.EROFS, backends.ErrPermission},
	{syscall.ELOOP, backends.ErrPermission},
	{syscall.ENAMETOOLONG, backends.ErrInvalid},
	{syscall.EINVAL, backends.ErrInvalid},
	{syscall.EXDEV, backends.ErrCrossMount}, // a rename across file systems under the root
}

func kindOf(err error, lookup bool) error {
	if errors.Is(err, syscall.ENOTDIR) {
		if lookup {
			return backends.ErrNotExist
		}
		return backends.ErrNotDir
	}
	for _, k := range errnoKinds {
		if errors.Is(err, k.errno) {
			return k.kind
		}
	}
	return backends.Kind(err)
}

// wrap formats what, the sentinel and the system cause, dropping the
// *fs.PathError layer whose path may be absolute.
func wrap(what string, sentinel, err error) error {
	cause := rootCause(err)
	if sentinel == nil || errors.Is(cause, sentinel) {
		return fmt.Errorf("%s: %w", what, cause)
	}
	return fmt.Errorf("%s: %w", what, classified{sentinel, cause})
}

// classified pairs a sentinel with the system error it was derived from.
// Only the sentinel unwraps: ENOTEMPTY, say, is fs.ErrExist to errors.Is,
// and an error classified as ErrNotEmpty must not also read as ErrExist.
// The cause stays in the message.
type classified struct {
	sentinel, cause error
}

func (c classified) Error() string {
	if s, x := c.sentinel.Error(), c.cause.Error(); s != x {
		return s + ": " + x
	}
	return c.sentinel.Error()
}

func (c classified) Unwrap() error { return c.sentinel }

func rootCause(err error) error {
	for {
		var (
			pe *fs.PathError
			le *os.LinkError
			se *os.SyscallError
		)
		switch {
		case errors.As(err, &pe):
			err = pe.Err
		case errors.As(err, &le):
			err = le.Err
		case errors.As(err, &se):
			err = se.Err
		default:
			return err
		}
	}
}
