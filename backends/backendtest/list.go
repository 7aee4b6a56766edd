package backendtest

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// defaultLargeListing is more than two pages of every store we know.
const defaultLargeListing = 2500

var listCases = []testCase{
	{"List/Large", testListLarge},
	{"List/FilesAndDirectories", testListMixed},
	{"List/EmptyDirectory", testListEmpty},
	{"List/MissingDirectory", testListMissing},
	{"List/File", testListFile},
	{"List/Root", testListRoot},
}

// testListLarge lists a directory holding more files than one page.
func testListLarge(t *testing.T, s *suite) {
	b := s.bucket(t)
	n := defaultLargeListing
	if p := s.opts.ListPageSize; p > 0 && n < 2*p+p/2 {
		n = 2*p + p/2
	}
	sizeOf := func(i int) int { return i % 13 }
	putMany(t, b, n, func(i int) (string, []byte) {
		return fmt.Sprintf("big/f-%05d", i), make([]byte, sizeOf(i))
	})
	entries, pages := s.list(t, b, "big")
	if len(entries) != n {
		t.Fatalf("List(\"big\") has %d entries, want %d", len(entries), n)
	}
	for i, e := range entries {
		want := fmt.Sprintf("f-%05d", i)
		if e.Name != want || e.IsDir || e.Size != int64(sizeOf(i)) {
			t.Fatalf("entry %d = %q dir %v size %d, want file %q of %d bytes", i, e.Name, e.IsDir, e.Size, want, sizeOf(i))
		}
	}
	if s.opts.ListPageSize > 0 && pages < 2 {
		t.Errorf("List(\"big\") of %d entries came in %d page(s) of at most %d", n, pages, s.opts.ListPageSize)
	}
}

// putMany writes n small files with a few workers, so that stores with
// slow commits (fsync, HTTP round trips) keep this case short.
func putMany(t *testing.T, b backends.Bucket, n int, file func(i int) (string, []byte)) {
	t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for range 16 {
		wg.Go(func() {
			for i := range next {
				key, data := file(i)
				if err := tryPut(t, b, key, data); err != nil {
					mu.Lock()
					first = cmp.Or(first, fmt.Errorf("put %q: %w", key, err))
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
}

// testListMixed lists files, directories made with Mkdir, and implicit
// directories that exist only because a file lies below them.
func testListMixed(t *testing.T, s *suite) {
	b := s.bucket(t)
	mkdir(t, b, "mix/marker")
	mkdir(t, b, "mix/both")
	put(t, b, "mix/both/inner", []byte("x"))
	put(t, b, "mix/implicit/deeper/file", []byte("xy"))
	put(t, b, "mix/b.txt", []byte("abc"))
	put(t, b, "mix/z", nil)
	entries := s.checkNames(t, b, "mix", "b.txt", "both", "implicit", "marker", "z")
	want := map[string]backends.Entry{
		"b.txt": {Size: 3}, "z": {Size: 0},
		"both": {IsDir: true}, "implicit": {IsDir: true}, "marker": {IsDir: true},
	}
	for _, e := range entries {
		if w := want[e.Name]; e.IsDir != w.IsDir || e.Size != w.Size {
			t.Errorf("List(\"mix\"): %q dir %v size %d, want dir %v size %d", e.Name, e.IsDir, e.Size, w.IsDir, w.Size)
		}
	}
	s.checkNames(t, b, "mix/implicit", "deeper")
	s.checkNames(t, b, "mix/marker")
}

func testListEmpty(t *testing.T, s *suite) {
	b := s.bucket(t)
	mkdir(t, b, "empty")
	s.checkNames(t, b, "empty")
	s.checkNames(t, b, "", "empty")
}

func testListMissing(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "present/f", []byte("x"))
	s.checkNames(t, b, "absent")
	s.checkNames(t, b, "absent/deeper")
	s.checkNames(t, b, "present/absent")
}

// testListFile expects ErrNotDir from List or from its first Next.
func testListFile(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "dir/file", []byte("x"))
	l, err := b.List(t.Context(), "dir/file")
	if err == nil {
		defer l.Close()
		var page []backends.Entry
		page, err = l.Next(t.Context())
		if err == nil || errors.Is(err, io.EOF) {
			t.Fatalf("listing a file: List and Next succeeded (page %q, %v), want ErrNotDir", names(page), err)
		}
	}
	wantErr(t, err, `List("dir/file")`, backends.ErrNotDir)
}

// testListRoot checks a new bucket is empty and that the root lists.
func testListRoot(t *testing.T, s *suite) {
	b := s.bucket(t)
	s.checkNames(t, b, "")
	put(t, b, "top", []byte("x"))
	mkdir(t, b, "dir")
	s.checkNames(t, b, "", "dir", "top")
}

func mkdir(t *testing.T, b backends.Bucket, key string) {
	t.Helper()
	if err := b.Mkdir(t.Context(), key); err != nil {
		t.Fatalf("Mkdir(%q): %v", key, err)
	}
}
