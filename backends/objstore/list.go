package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// markerLookups bounds the concurrent Heads that fetch the times of the
// directories on one page.
const markerLookups = 8

func (b *bucket) List(ctx context.Context, dir string) (backends.Lister, error) {
	if err := checkKey(dir); err != nil {
		return nil, err
	}
	return &lister{b: b, dir: dir, prefix: dirPrefix(dir)}, nil
}

// lister streams one directory, a store page at a time: memory stays
// constant however many keys the prefix holds.
type lister struct {
	b      *bucket
	dir    string
	prefix string
	token  string
	done   bool
	pages  int
	// files holds the names of files listed so far that are prefixes of
	// the keys still to come: a directory "a/" sorts after file "a" with
	// only keys starting "a" in between, so this is how the file-wins
	// rule drops the directory without remembering the whole listing.
	files []string
}

func (l *lister) Close() error { l.done = true; return nil }

func (l *lister) Next(ctx context.Context) ([]backends.Entry, error) {
	for !l.done {
		page, err := l.b.s.List(ctx, l.prefix, l.token, l.b.opts.ListPageSize)
		if err != nil {
			return nil, err
		}
		l.pages++
		l.token = page.Next
		l.done = page.Next == ""
		entries, err := l.entries(ctx, page)
		if err != nil {
			return nil, err
		}
		if len(entries) > 0 {
			return entries, nil
		}
		if l.pages == 1 && l.done && l.dir != "" {
			// Nothing below dir: say so if it is a file.
			if _, err := l.b.s.Head(ctx, l.dir); err == nil {
				return nil, fmt.Errorf("%q: %w", l.dir, backends.ErrNotDir)
			} else if !errors.Is(err, backends.ErrNotExist) {
				return nil, err
			}
		}
	}
	return nil, io.EOF
}

// item is one key of a page: an object, or a common prefix (dir).
type item struct {
	key string // relative to the listed prefix; a dir's ends in "/"
	obj Object
	dir bool
}

// entries turns a store page into contract entries in key order, without
// the directory's own marker, names no key could address, and directories
// hidden by a file of the same name.
func (l *lister) entries(ctx context.Context, page Page) ([]backends.Entry, error) {
	items := make([]item, 0, len(page.Objects)+len(page.Prefixes))
	objs, prefixes := page.Objects, page.Prefixes
	for len(objs) > 0 || len(prefixes) > 0 {
		if len(prefixes) == 0 || len(objs) > 0 && objs[0].Key < prefixes[0] {
			o := objs[0]
			objs = objs[1:]
			if rel, ok := strings.CutPrefix(o.Key, l.prefix); ok && rel != "" {
				items = append(items, item{key: rel, obj: o})
			}
			continue
		}
		p := prefixes[0]
		prefixes = prefixes[1:]
		if rel, ok := strings.CutPrefix(p, l.prefix); ok && len(rel) > 1 {
			items = append(items, item{key: rel, dir: true})
		}
	}
	out := make([]backends.Entry, 0, len(items))
	var dirs, files []int
	var fileObjs []Object
	for _, it := range items {
		for len(l.files) > 0 && !strings.HasPrefix(it.key, l.files[len(l.files)-1]) {
			l.files = l.files[:len(l.files)-1]
		}
		name := strings.TrimSuffix(it.key, "/")
		if backends.BadElement(name) != "" || strings.Contains(name, "/") {
			continue
		}
		if it.dir {
			if n := len(l.files); n > 0 && l.files[n-1] == name {
				continue
			}
			dirs = append(dirs, len(out))
			out = append(out, backends.Entry{Name: name, IsDir: true})
			continue
		}
		l.files = append(l.files, name)
		if l.b.opts.ModTimes != nil {
			files = append(files, len(out))
			fileObjs = append(fileObjs, it.obj)
		}
		out = append(out, fileEntry(it.obj))
	}
	if err := l.fileTimes(ctx, out, files, fileObjs); err != nil {
		return nil, err
	}
	return out, l.dirTimes(ctx, out, dirs)
}

// dirTimes gives each directory of a page its marker's time, or the
// implicit time when it has no marker.
func (l *lister) dirTimes(ctx context.Context, out []backends.Entry, dirs []int) error {
	return ForEach(ctx, len(dirs), markerLookups, func(ctx context.Context, k int) error {
		i := dirs[k]
		marker, err := l.b.s.Head(ctx, l.prefix+out[i].Name+"/")
		switch {
		case err == nil:
			out[i] = dirEntry(out[i].Name, marker)
		case errors.Is(err, backends.ErrNotExist):
			out[i] = dirEntry(out[i].Name, Object{})
		default:
			return err
		}
		return nil
	})
}
