package local

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends/afs"
)

// TestListBoundedMemory lists a directory of many files in small pages:
// every name comes back once, in lexical order, and a lister that has
// produced its first page holds far less than one string header per
// entry, which it would if it had read every name at once.
func TestListBoundedMemory(t *testing.T) {
	const files = 20000
	root := t.TempDir()
	dir := filepath.Join(root, "big")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range files {
		name := fmt.Sprintf("file-%035d", (i*7919)%files) // created out of order
		want = append(want, name)
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(want)
	be, err := New(Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	b := afs.NewBucket(&rootFS{parent: be.(*backend).root, sub: "big"}, afs.Options{ListPageSize: 100})
	if got := listNames(t, b, ""); !slices.Equal(got, want) {
		t.Fatalf("listed %d names (sorted: %v), want %d in order", len(got), slices.IsSorted(got), len(want))
	}

	var before, during runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	l, err := b.List(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Next(t.Context()); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&during)
	held := int64(during.HeapAlloc) - int64(before.HeapAlloc)
	runtime.KeepAlive(l)
	l.Close()
	if limit := int64(files * 16); held > limit {
		t.Errorf("an open listing holds %d bytes, more than %d (16 per entry): it keeps every name", held, limit)
	}
}
