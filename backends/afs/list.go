package afs

import (
	"context"
	"fmt"
	"io"
	"io/fs"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// nameChunk is how many names List reads from the directory per call.
const nameChunk = 1024

// List streams the children of dir in lexical order, one page per Next.
//
// Directories on disk come back in no particular order, and sorting them
// whole would hold every name of a huge directory in memory, per listing
// in flight. So List works as an object store's paged listing does: it
// reads the directory once per window of windowPages pages, keeping only
// the next window's names (see nextWindow), and stats each entry when its
// page is produced. Memory is bounded by the window, not the directory.
//
// Hidden from listings: staged uploads, names no key could address (with a
// backslash, say), symbolic links that are dangling or lead out of the
// bucket, and anything neither a regular file nor a directory.
func (b *bucket) List(ctx context.Context, dir string) (backends.Lister, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := backends.CheckKey(dir); err != nil {
		return nil, err
	}
	what := subject("list", dir)
	info, err := b.fs.Stat(b.path(dir))
	switch {
	case err != nil && isNotExist(classifyLookup(what, err)):
		return &lister{b: b, dir: dir, done: true}, nil
	case err != nil:
		return nil, classifyLookup(what, err)
	case !info.IsDir():
		return nil, fail(what, backends.ErrNotDir)
	}
	l := &lister{b: b, dir: dir}
	if err := l.refill(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// lister pages through the directory one window of names at a time,
// statting only the entries of the current page.
type lister struct {
	b      *bucket
	dir    string
	names  []string // the rest of the current window
	last   string   // the last name of the windows read so far
	done   bool     // no names after last
	closed bool
}

// refill reads the next window once the current one is used up.
func (l *lister) refill(ctx context.Context) error {
	if len(l.names) > 0 || l.done {
		return nil
	}
	window := windowPages * l.b.pageSize
	names, err := l.b.nextWindow(ctx, l.dir, l.last, window)
	if err != nil {
		return err
	}
	l.names = names
	if len(names) < window {
		l.done = true
	}
	if len(names) > 0 {
		l.last = names[len(names)-1]
	}
	return nil
}

func (l *lister) Next(ctx context.Context) ([]backends.Entry, error) {
	if l.closed {
		return nil, fmt.Errorf("list %q: %w", l.dir, fs.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var page []backends.Entry
	for len(page) < l.b.pageSize {
		if err := l.refill(ctx); err != nil {
			return nil, err
		}
		if len(l.names) == 0 {
			break
		}
		name := l.names[0]
		l.names = l.names[1:]
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
