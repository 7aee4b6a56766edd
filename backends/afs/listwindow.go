package afs

import (
	"container/heap"
	"context"
	"errors"
	"io"
	"slices"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// windowPages is how many pages of names one pass over a directory
// gathers (see nextWindow).
const windowPages = 8

// nextWindow reads directory dir once, in chunks of nameChunk, and
// returns, sorted, the smallest max addressable names that sort after
// after ("" for the first window). Memory is bounded by max names (a
// bounded max-heap) plus one chunk, whatever the directory holds; the
// price is one pass over the directory per window, as an object store's
// listing costs one request per page. Like a listing that continues
// after a key (S3's StartAfter), a name created meanwhile before the
// window appears only in a later listing. A directory removed meanwhile
// reads as empty, like a missing one.
func (b *bucket) nextWindow(ctx context.Context, dir, after string, max int) ([]string, error) {
	what := subject("list", dir)
	f, err := b.fs.Open(b.path(dir))
	if err != nil {
		if err = classifyLookup(what, err); isNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	defer f.Close()
	var best nameHeap
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		chunk, err := f.Readdirnames(nameChunk)
		for _, n := range chunk {
			if n > after && backends.BadElement(n) == "" {
				best.offer(n, max)
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && len(chunk) == 0) {
			break
		}
		if err != nil {
			return nil, classify(what, err)
		}
	}
	names := []string(best)
	slices.Sort(names)
	// A file system that lists by offset (MemMapFs) can repeat a name
	// when the directory changes between chunks.
	return slices.Compact(names), nil
}

// nameHeap is a max-heap of names: its top is the largest kept, the
// first to go when a smaller one arrives and the heap is full.
type nameHeap []string

func (h nameHeap) Len() int           { return len(h) }
func (h nameHeap) Less(i, j int) bool { return h[i] > h[j] }
func (h nameHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nameHeap) Push(x any)        { *h = append(*h, x.(string)) }
func (h *nameHeap) Pop() any {
	old := *h
	n := old[len(old)-1]
	*h = old[:len(old)-1]
	return n
}

// offer keeps n if it is among the max smallest names offered so far.
func (h *nameHeap) offer(n string, max int) {
	switch {
	case h.Len() < max:
		heap.Push(h, n)
	case n < (*h)[0]:
		(*h)[0] = n
		heap.Fix(h, 0)
	}
}
