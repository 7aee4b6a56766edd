package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/spf13/afero"
)

// errEscape replaces os.Root's "path escapes from parent", which wraps no
// sentinel, so that escapes classify as permission errors.
var errEscape = fmt.Errorf("path leads out of the bucket: %w", fs.ErrPermission)

// escapeText is the message of os.Root's unexported errPathEscapes.
// TestSymlinkEscape fails if a Go release changes it.
const escapeText = "path escapes from parent"

// rootFS is an afero.Fs confined to directory sub of parent ("" for parent
// itself; "bucket" or "bucket/prefix" for a bucket or a mount's prefix). It opens the bucket's own *os.Root for each operation rather
// than caching one, so a bucket directory made, removed or recreated
// while the server runs is always the current one.
type rootFS struct {
	parent *os.Root
	sub    string
}

var (
	_ afero.Fs      = (*rootFS)(nil)
	_ afero.Lstater = (*rootFS)(nil)
)

// with runs fn on the bucket's root. With create, a missing bucket
// directory is made first: writes make the bucket, reads see it empty.
func (r *rootFS) with(create bool, fn func(*os.Root) error) error {
	if r.sub == "" {
		return mapErr(fn(r.parent))
	}
	root, err := r.parent.OpenRoot(r.sub)
	if create && errors.Is(err, fs.ErrNotExist) {
		// MkdirAll: sub is "bucket/prefix" for a confined bucket.
		if err = r.parent.MkdirAll(r.sub, rootPerm); err == nil || errors.Is(err, fs.ErrExist) {
			root, err = r.parent.OpenRoot(r.sub)
		}
	}
	if err != nil {
		return mapErr(err)
	}
	defer root.Close()
	return mapErr(fn(root))
}

// mapErr turns os.Root's escape error into errEscape.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Err != nil && pe.Err.Error() == escapeText {
		return &fs.PathError{Op: pe.Op, Path: pe.Path, Err: errEscape}
	}
	if err.Error() == escapeText {
		return errEscape
	}
	return err
}

func (r *rootFS) Name() string { return "local" }

func (r *rootFS) Create(name string) (afero.File, error) {
	return r.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

func (r *rootFS) Open(name string) (afero.File, error) {
	return r.OpenFile(name, os.O_RDONLY, 0)
}

// OpenFile opens name. Read-only opens add O_NONBLOCK, so that opening a
// FIFO someone placed in the bucket returns at once (afs then refuses it
// as not a regular file) instead of hanging the session.
func (r *rootFS) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	if flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		flag |= nonblockFlag
	}
	var f *os.File
	err := r.with(flag&os.O_CREATE != 0, func(root *os.Root) (err error) {
		f, err = root.OpenFile(name, flag, perm)
		return err
	})
	if err != nil {
		return nil, err // never a typed nil *os.File in the interface
	}
	return f, nil
}

func (r *rootFS) Mkdir(name string, perm os.FileMode) error {
	return r.with(true, func(root *os.Root) error { return root.Mkdir(name, perm) })
}

func (r *rootFS) MkdirAll(name string, perm os.FileMode) error {
	return r.with(true, func(root *os.Root) error { return root.MkdirAll(name, perm) })
}

func (r *rootFS) Remove(name string) error {
	return r.with(false, func(root *os.Root) error { return root.Remove(name) })
}

func (r *rootFS) RemoveAll(name string) error {
	return r.with(false, func(root *os.Root) error { return root.RemoveAll(name) })
}

func (r *rootFS) Rename(oldname, newname string) error {
	return r.with(true, func(root *os.Root) error { return root.Rename(oldname, newname) })
}

func (r *rootFS) Stat(name string) (info os.FileInfo, err error) {
	err = r.with(false, func(root *os.Root) (err error) {
		info, err = root.Stat(name)
		return err
	})
	return info, err
}

// LstatIfPossible lets afs see symbolic links in listings, so it can hide
// the ones that lead nowhere or out of the bucket.
func (r *rootFS) LstatIfPossible(name string) (info os.FileInfo, lstat bool, err error) {
	err = r.with(false, func(root *os.Root) (err error) {
		info, err = root.Lstat(name)
		return err
	})
	return info, true, err
}

func (r *rootFS) Chmod(name string, mode os.FileMode) error {
	return r.with(false, func(root *os.Root) error { return root.Chmod(name, mode) })
}

func (r *rootFS) Chown(name string, uid, gid int) error {
	return r.with(false, func(root *os.Root) error { return root.Chown(name, uid, gid) })
}

func (r *rootFS) Chtimes(name string, atime, mtime time.Time) error {
	return r.with(false, func(root *os.Root) error { return root.Chtimes(name, atime, mtime) })
}
