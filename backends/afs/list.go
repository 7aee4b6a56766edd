package afs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// nameChunk is how many names List reads from the directory per call.
const nameChunk = 1024

// List streams the children of dir in lexical order, one page per Next.
//
// Directories on disk come back in no particular order, so sorting needs
// every name first: List reads all names of the one directory (in chunks,
// checking ctx between them, so a huge directory can be abandoned), but
// keeps only the strings and stats each entry lazily when its page is
// produced. Memory is a few dozen bytes per child, not per FileInfo.
//
// Hidden from listings: staged uploads, names no key could address (with a
// backslash, say), symbolic links that are dangling or lead out of the
// bucket, and anything neither a regular file nor a directory.
func (b *bucket) List(ctx context.Context, dir string) (backends.Lister, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := CheckKey(dir); err != nil {
		return nil, err
	}
	what := subject("list", dir)
	info, err := b.fs.Stat(b.path(dir))
	switch {
	case err != nil && isNotExist(classifyLookup(what, err)):
		return &lister{b: b, dir: dir}, nil
	case err != nil:
		return nil, classifyLookup(what, err)
	case !info.IsDir():
		return nil, fail(what, backends.ErrNotDir)
	}
	names, err := b.readNames(ctx, dir)
	if err != nil {
		return nil, err
	}
	return &lister{b: b, dir: dir, names: names}, nil
}

// readNames returns the sorted, addressable names in directory dir. A
// directory removed meanwhile reads as empty, like a missing one.
func (b *bucket) readNames(ctx context.Context, dir string) ([]string, error) {
	what := subject("list", dir)
	f, err := b.fs.Open(b.path(dir))
	if err != nil {
		if err = classifyLookup(what, err); isNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	defer f.Close()
	var names []string
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		chunk, err := f.Readdirnames(nameChunk)
		for _, n := range chunk {
			if badElem(n) == "" {
				names = append(names, n)
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && len(chunk) == 0) {
			break
		}
		if err != nil {
			return nil, classify(what, err)
		}
	}
	slices.Sort(names)
	// A file system that lists by offset (MemMapFs) can repeat a name
	// when the directory changes between chunks.
	return slices.Compact(names), nil
}

// lister pages through names, statting only the entries of the current
// page.
type lister struct {
	b      *bucket
	dir    string
	names  []string
	pos    int
	closed bool
}

func (l *lister) Next(ctx context.Context) ([]backends.Entry, error) {
	if l.closed {
		return nil, fmt.Errorf("list %q: %w", l.dir, fs.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var page []backends.Entry
	for l.pos < len(l.names) && len(page) < l.b.pageSize {
		name := l.names[l.pos]
		l.pos++
		e, ok, err := l.b.child(l.dir, name)
		if err != nil {
			return nil, err
		}
		if ok {
			page = append(page, e)
		}
	}
	if len(page) == 0 {
		return nil, io.EOF
	}
	return page, nil
}

func (l *lister) Close() error {
	l.closed = true
	l.names = nil
	return nil
}

// child describes entry name of dir, or reports ok=false when it must be
// hidden (vanished since the directory was read, a special file, or a
// symbolic link that does not resolve inside the bucket).
func (b *bucket) child(dir, name string) (e backends.Entry, ok bool, err error) {
	key := joinKey(dir, name)
	p := b.path(key)
	info, err := lstat(b.fs, p)
	if err == nil && info.Mode()&fs.ModeSymlink != 0 {
		info, err = b.fs.Stat(p)
		if err != nil {
			// Dangling, looping or escaping: not something we serve.
			return e, false, nil
		}
	}
	if err != nil {
		if err = classifyLookup(subject("list", key), err); isNotExist(err) {
			return e, false, nil
		}
		return e, false, err
	}
	if !usable(info) {
		return e, false, nil
	}
	return entry(name, info), true, nil
}
