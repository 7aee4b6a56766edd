package objstore

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

// TestListStreamsPages: a directory of 100,000 objects is listed one
// store page per Next, so the first names come after one request and
// the lister holds no more than a page, however many keys follow.
func TestListStreamsPages(t *testing.T) {
	const n, page = 100_000, 1000
	s := newFakeStore(PartOptions{})
	for i := range n {
		s.objects[fmt.Sprintf("big/f%06d", i)] = fakeObject{version: "1"}
	}
	b := NewBucket(s, Options{ListPageSize: page})
	l, err := b.List(t.Context(), "big")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	first, err := l.Next(t.Context())
	if err != nil || len(first) != page || s.lists.Load() != 1 {
		t.Fatalf("first Next: %d entries, %v, after %d List calls; want %d after 1", len(first), err, s.lists.Load(), page)
	}
	total := len(first)
	for {
		entries, err := l.Next(t.Context())
		total += len(entries)
		if len(entries) > page {
			t.Fatalf("a Next returned %d entries, more than a page", len(entries))
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if kept := len(l.(*lister).files); kept > 1 {
			t.Fatalf("the lister keeps %d names between pages", kept)
		}
	}
	if total != n || s.lists.Load() != n/page {
		t.Fatalf("listed %d entries in %d List calls, want %d in %d", total, s.lists.Load(), n, n/page)
	}
}
