package afs

import (
	"context"
	"io/fs"

	"github.com/spf13/afero"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// Stat describes key. Symbolic links are followed as far as the file
// system allows (package local: only within the bucket); anything that is
// neither a regular file nor a directory (a FIFO, a device, a socket)
// returns ErrPermission, because serving it could block or leak.
func (b *bucket) Stat(ctx context.Context, key string) (backends.Entry, error) {
	if err := ctx.Err(); err != nil {
		return backends.Entry{}, err
	}
	if err := backends.CheckKey(key); err != nil {
		return backends.Entry{}, err
	}
	if key == "" {
		return b.rootEntry(), nil
	}
	info, err := b.lookup("stat", key)
	if err != nil {
		return backends.Entry{}, err
	}
	if !usable(info) {
		return backends.Entry{}, fail(subject("stat", key)+": not a regular file", backends.ErrPermission)
	}
	return entry(baseName(key), info), nil
}

// rootEntry describes the root, which always exists even when its
// directory has not been created yet; Stat must create nothing.
func (b *bucket) rootEntry() backends.Entry {
	e := backends.Entry{Name: "", IsDir: true, ModTime: stableTime}
	if info, err := b.fs.Stat(b.path("")); err == nil && info.IsDir() && !info.ModTime().IsZero() {
		e.ModTime = info.ModTime()
	}
	return e
}

// lookup stats key, classifying a missing key (or one below a file) as
// ErrNotExist.
func (b *bucket) lookup(op, key string) (fs.FileInfo, error) {
	info, err := b.fs.Stat(b.path(key))
	if err != nil {
		return nil, classifyLookup(subject(op, key), err)
	}
	return info, nil
}

// exists reports whether anything is at key, and whether it is a
// directory. Errors other than "missing" are returned.
func (b *bucket) exists(op, key string) (found, isDir bool, err error) {
	info, err := b.lookup(op, key)
	switch {
	case err == nil:
		return true, info.IsDir(), nil
	case isNotExist(err):
		return false, false, nil
	}
	return false, false, err
}

// lstat describes the name p in fs without following a final symbolic
// link, when the file system can tell.
func lstat(fsys afero.Fs, p string) (fs.FileInfo, error) {
	if l, ok := fsys.(afero.Lstater); ok {
		info, _, err := l.LstatIfPossible(p)
		return info, err
	}
	return fsys.Stat(p)
}

// usable reports whether info is something this package serves: a regular
// file or a directory.
func usable(info fs.FileInfo) bool {
	return info.Mode().IsRegular() || info.IsDir()
}

func entry(name string, info fs.FileInfo) backends.Entry {
	e := backends.Entry{Name: name, ModTime: info.ModTime(), IsDir: info.IsDir()}
	if !e.IsDir {
		e.Size = info.Size()
	}
	if e.ModTime.IsZero() {
		e.ModTime = stableTime
	}
	return e
}

func isNotExist(err error) bool {
	return backends.Kind(err) == backends.ErrNotExist
}
