package afs

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

func TestClassify(t *testing.T) {
	pathErr := func(errno error) error {
		return &fs.PathError{Op: "op", Path: "/srv/secret/root/a", Err: errno}
	}
	cases := []struct {
		err    error
		lookup bool
		want   error
	}{
		{pathErr(syscall.ENOTEMPTY), false, backends.ErrNotEmpty},
		{pathErr(syscall.EEXIST), false, backends.ErrExist},
		{pathErr(syscall.ENOENT), false, backends.ErrNotExist},
		{pathErr(syscall.ENOTDIR), false, backends.ErrNotDir},
		{pathErr(syscall.ENOTDIR), true, backends.ErrNotExist},
		{pathErr(syscall.EISDIR), false, backends.ErrIsDir},
		{pathErr(syscall.EACCES), false, backends.ErrPermission},
		{pathErr(syscall.ENOSPC), false, backends.ErrQuota},
		{pathErr(syscall.EDQUOT), false, backends.ErrQuota},
		{pathErr(syscall.EROFS), false, backends.ErrPermission},
		{pathErr(syscall.ENAMETOOLONG), false, backends.ErrInvalid},
		{pathErr(syscall.EXDEV), false, backends.ErrUnsupported},
		{pathErr(syscall.EFBIG), false, backends.ErrQuota},
		{pathErr(syscall.EIO), false, nil},
	}
	for _, c := range cases {
		classified := classify("op \"a\"", c.err)
		if c.lookup {
			classified = classifyLookup("op \"a\"", c.err)
		}
		if got := backends.Kind(classified); got != c.want {
			t.Errorf("classify(%v, lookup %v) kind = %v, want %v", c.err, c.lookup, got, c.want)
		}
		if msg := classified.Error(); strings.Contains(msg, "/srv") || !strings.HasPrefix(msg, `op "a": `) {
			t.Errorf("classify(%v) message %q: want the key, not the path", c.err, msg)
		}
		if cause := rootCause(c.err); !strings.Contains(classified.Error(), cause.Error()) {
			t.Errorf("classify(%v) = %q lost the system cause", c.err, classified)
		}
		for _, other := range []error{backends.ErrExist, backends.ErrNotExist} {
			if other != c.want && errors.Is(classified, other) {
				t.Errorf("classify(%v) is also %v", c.err, other)
			}
		}
	}
}

// TestClassifyRefinements: the errnos that have a reply of their own are
// classified as the refinement, not only as its class.
func TestClassifyRefinements(t *testing.T) {
	for errno, want := range map[syscall.Errno]error{
		syscall.EFBIG: backends.ErrFileTooLarge,
		syscall.EXDEV: backends.ErrCrossMount,
	} {
		err := classify("op \"a\"", &fs.PathError{Op: "op", Path: "/srv/a", Err: errno})
		if !errors.Is(err, want) {
			t.Errorf("classify(%v) = %v, want %v", errno, err, want)
		}
	}
}
