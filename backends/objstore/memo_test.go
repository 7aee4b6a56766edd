package objstore

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// countingStore counts Heads and Lists.
type countingStore struct {
	*fakeStore
	heads, lists atomic.Int64
}

func (c *countingStore) Head(ctx context.Context, key string) (Object, error) {
	c.heads.Add(1)
	return c.fakeStore.Head(ctx, key)
}

func (c *countingStore) List(ctx context.Context, prefix, token string, limit int) (Page, error) {
	c.lists.Add(1)
	return c.fakeStore.List(ctx, prefix, token, limit)
}

// TestCommandMemo: within one command scope a repeated Stat costs no
// request; a write in the scope is seen by the next Stat; a new command
// (Reset) asks the store again.
func TestCommandMemo(t *testing.T) {
	s := &countingStore{fakeStore: newFakeStore(PartOptions{PartSize: 1 << 20})}
	b := NewBucket(s, Options{})
	s.put("f", []byte("one"))
	ctx := backends.CommandScope(t.Context())
	for range 3 {
		if e, err := b.Stat(ctx, "f"); err != nil || e.Size != 3 {
			t.Fatalf("Stat: %+v, %v", e, err)
		}
	}
	if n := s.heads.Load(); n != 1 {
		t.Errorf("3 Stats in one command made %d Heads, want 1", n)
	}
	w, _ := b.Create(ctx, "f", backends.CreateOptions{})
	w.Write([]byte("longer"))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if e, _ := b.Stat(ctx, "f"); e.Size != 6 {
		t.Errorf("Stat after an upload in the same command: size %d, want 6", e.Size)
	}
	s.put("f", []byte("changed by someone else"))
	backends.MemoFrom(ctx).Reset()
	if e, _ := b.Stat(ctx, "f"); e.Size != 23 {
		t.Errorf("Stat in the next command: size %d, want 23 (fresh)", e.Size)
	}
	// Without a scope nothing is remembered.
	before := s.heads.Load()
	b.Stat(t.Context(), "f")
	b.Stat(t.Context(), "f")
	if n := s.heads.Load() - before; n != 2 {
		t.Errorf("2 Stats outside a command scope made %d Heads, want 2", n)
	}
}

// TestCommandMemoProbe: a STOR of a new file asks the store once whether
// its key is a directory, though both the Stat before the upload and
// Create need to know.
func TestCommandMemoProbe(t *testing.T) {
	s := &countingStore{fakeStore: newFakeStore(PartOptions{PartSize: 1 << 20})}
	b := NewBucket(s, Options{})
	ctx := backends.CommandScope(t.Context())
	if _, err := b.Stat(ctx, "new"); err == nil {
		t.Fatal("Stat of a missing key succeeded")
	}
	w, err := b.Create(ctx, "new", backends.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := s.lists.Load(); n != 1 {
		t.Errorf("Stat then Create of a new file listed %d times, want 1", n)
	}
	if e, err := b.Stat(ctx, "new"); err != nil || e.Size != 1 {
		t.Errorf("Stat after the upload in the same command: %+v, %v", e, err)
	}
}
