package objstore

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// S3 lists keys, sizes, ETags and LastModified, but no user metadata, so
// a listing cannot see the time MFMT recorded (and the self-copy that
// recorded it moved LastModified to the time of the copy). Clients that
// preserve times (rclone, WinSCP) read them back from MLSD and LIST, and
// would set them again on every sync if the listing showed the copy's
// time. So a driver whose listings carry no metadata gives its buckets a
// ModTimes: the lister looks each file up once with a Head and remembers
// the answer, pinned to the object's version and store time, so that a
// later listing costs nothing and a change made anywhere (another
// replica, another tool) is seen as a different object.

// listTimeLookups bounds the concurrent Heads of one listing page.
const listTimeLookups = 16

// ModTimes remembers, for objects a listing could not describe, the
// modification time their metadata records (or that they record none).
// One is shared by every bucket of a backend; it is safe for concurrent
// use and holds at most its size of entries, least recently used first
// out.
type ModTimes struct {
	mu    sync.Mutex
	max   int
	byKey map[modTimesKey]*list.Element
	lru   list.List // of *modTimesEntry, most recent at the front
}

type modTimesKey struct{ namespace, key string }

type modTimesEntry struct {
	k       modTimesKey
	version string
	stored  time.Time // the store's LastModified when looked up
	mtime   time.Time // MFMT's time; zero when the object has none
}

// NewModTimes returns a ModTimes holding at most size objects.
func NewModTimes(size int) *ModTimes {
	if size < 1 {
		size = 1
	}
	return &ModTimes{max: size, byKey: make(map[modTimesKey]*list.Element)}
}

// lookup returns the remembered time for o, and whether there is an
// answer for o's current version.
func (c *ModTimes) lookup(ns string, o Object) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[modTimesKey{ns, o.Key}]
	if !ok {
		return time.Time{}, false
	}
	e := el.Value.(*modTimesEntry)
	if e.version != o.Version || !e.stored.Equal(o.ModTime) {
		return time.Time{}, false
	}
	c.lru.MoveToFront(el)
	return e.mtime, true
}

// remember records mtime (zero for none) for o's current version.
func (c *ModTimes) remember(ns string, o Object, mtime time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := modTimesKey{ns, o.Key}
	e := &modTimesEntry{k: k, version: o.Version, stored: o.ModTime, mtime: mtime}
	if el, ok := c.byKey[k]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return
	}
	c.byKey[k] = c.lru.PushFront(e)
	for c.lru.Len() > c.max {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.byKey, old.Value.(*modTimesEntry).k)
	}
}

// Len is the number of objects remembered.
func (c *ModTimes) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// fileTimes gives the files of a page (out[i] for i in files, listed as
// objs[k]) the times MFMT recorded, from the cache or a Head each. A Head
// that fails leaves the listed time: a listing is not failed, nor an
// answer remembered, for a lookup that only refines it; a denied Head (a
// user who may list but not read) is remembered as no time, so that it
// is not asked again.
func (l *lister) fileTimes(ctx context.Context, out []backends.Entry, files []int, objs []Object) error {
	c := l.b.opts.ModTimes
	if c == nil || len(files) == 0 {
		return nil
	}
	ns := l.b.opts.ModTimesNamespace
	var miss []int // indexes into files
	for k, i := range files {
		if t, ok := c.lookup(ns, objs[k]); ok {
			if !t.IsZero() {
				out[i].ModTime = t
			}
			continue
		}
		miss = append(miss, k)
	}
	return ForEach(ctx, len(miss), listTimeLookups, func(ctx context.Context, m int) error {
		k := miss[m]
		listed := objs[k]
		obj, err := l.b.s.Head(ctx, listed.Key)
		switch {
		case err == nil && obj.Version == listed.Version:
			t := modTime(obj)
			if _, ok := obj.Metadata[MetaModTime]; !ok {
				t = time.Time{}
			}
			c.remember(ns, listed, t)
			if !t.IsZero() {
				out[files[k]].ModTime = t
			}
		case errors.Is(err, backends.ErrPermission):
			c.remember(ns, listed, time.Time{})
		case ctx.Err() != nil:
			return ctx.Err()
		}
		// Otherwise (gone, changed since the listing, or the store
		// failing) the listed time stands.
		return nil
	})
}
