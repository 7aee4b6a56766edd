package objstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// renameFixture is a fake store holding a tree of n files under "d" (and
// d/'s marker), with directory renames allowed up to limit objects.
func renameFixture(t *testing.T, n, limit int) (*fakeStore, backends.Bucket) {
	t.Helper()
	s := newFakeStore(PartOptions{PartSize: 64 << 10, Concurrency: 2, MaxParts: 10000})
	s.put("d/", nil)
	for i := range n {
		s.put(fmt.Sprintf("d/sub%d/f%03d", i%3, i), []byte(fmt.Sprint(i)))
	}
	return s, NewBucket(s, Options{ListPageSize: 7, Rename: DirRename{RenameDirectories: true, RenameDirectoryLimit: limit}})
}

func keys(s *fakeStore) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.objects))
}

// TestRenameDirLimit: a tree larger than the limit is refused before
// anything is copied; one at the limit moves whole.
func TestRenameDirLimit(t *testing.T) {
	s, b := renameFixture(t, 20, 20)
	before := keys(s)
	err := b.Rename(t.Context(), "d", "e")
	if !errors.Is(err, backends.ErrUnsupported) || !strings.Contains(err.Error(), "more than 20 objects") {
		t.Fatalf("Rename of 21 objects with limit 20: %v, want ErrUnsupported naming the limit", err)
	}
	if got := keys(s); !slices.Equal(got, before) {
		t.Fatalf("keys changed by a refused rename:\n%v\nwant\n%v", got, before)
	}

	s, b = renameFixture(t, 20, 21)
	if err := b.Rename(t.Context(), "d", "e"); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, k := range before {
		want = append(want, "e"+strings.TrimPrefix(k, "d"))
	}
	slices.Sort(want)
	if got := keys(s); !slices.Equal(got, want) {
		t.Fatalf("after rename:\n%v\nwant\n%v", got, want)
	}
}

// TestRenameDirCopyFails: when a copy fails part way, the copies already
// made are removed and the source is untouched.
func TestRenameDirCopyFails(t *testing.T) {
	s, b := renameFixture(t, 50, 0)
	before := keys(s)
	var copies atomic.Int32
	s.fail = func(op, key string) error {
		if op == "copy" && copies.Add(1) == 30 {
			return fmt.Errorf("injected: %w", backends.ErrTransient)
		}
		return nil
	}
	err := b.Rename(t.Context(), "d", "e")
	if !errors.Is(err, backends.ErrTransient) {
		t.Fatalf("Rename: %v, want the copy's ErrTransient", err)
	}
	if got := keys(s); !slices.Equal(got, before) {
		t.Fatalf("after a failed copy the store holds\n%v\nwant only the source\n%v", got, before)
	}
}

// TestRenameDirDeleteFails: when removing the originals fails, the new
// tree is complete and every object still exists under at least one name.
func TestRenameDirDeleteFails(t *testing.T) {
	s, b := renameFixture(t, 50, 0)
	before := keys(s)
	s.fail = func(op, key string) error {
		if op == "delete" && strings.HasSuffix(key, "f007") {
			return fmt.Errorf("injected: %w", backends.ErrTransient)
		}
		return nil
	}
	err := b.Rename(t.Context(), "d", "e")
	if !errors.Is(err, backends.ErrTransient) || !strings.Contains(err.Error(), "removing the original failed") {
		t.Fatalf("Rename: %v, want ErrTransient saying the original remains", err)
	}
	got := keys(s)
	for _, k := range before {
		if moved := "e" + strings.TrimPrefix(k, "d"); !slices.Contains(got, moved) {
			t.Errorf("%s missing from the new tree", moved)
		}
	}
	if !slices.Contains(got, "d/sub1/f007") {
		t.Error("the object whose delete failed is gone")
	}
}

// TestRenameDirCancelled: a command cancelled during the copies rolls
// back like a failed copy.
func TestRenameDirCancelled(t *testing.T) {
	s, b := renameFixture(t, 50, 0)
	before := keys(s)
	ctx, cancel := context.WithCancel(t.Context())
	var copies atomic.Int32
	s.fail = func(op, key string) error {
		if op == "copy" && copies.Add(1) == 10 {
			cancel()
			return context.Canceled
		}
		return nil
	}
	if err := b.Rename(ctx, "d", "e"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Rename: %v, want context.Canceled", err)
	}
	if got := keys(s); !slices.Equal(got, before) {
		t.Fatalf("after a cancelled rename the store holds\n%v\nwant\n%v", got, before)
	}
}
