package backendtest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// chunkSize is deliberately odd, so that writes never line up with part or
// block boundaries.
const chunkSize = 32<<10 + 7

// put writes data to key through one Writer, in odd-sized chunks.
func put(t *testing.T, b backends.Bucket, key string, data []byte) {
	t.Helper()
	if err := tryPut(t, b, key, data); err != nil {
		t.Fatalf("put %q (%d bytes): %v", key, len(data), err)
	}
}

// tryPut is put returning the error, for cases where failure is expected.
func tryPut(t *testing.T, b backends.Bucket, key string, data []byte) error {
	t.Helper()
	w, err := b.Create(t.Context(), key, backends.CreateOptions{})
	if err != nil {
		return err
	}
	for len(data) > 0 {
		n := min(len(data), chunkSize)
		if _, err := w.Write(data[:n]); err != nil {
			w.Abort()
			return err
		}
		data = data[n:]
	}
	return w.Commit()
}

// get reads all of key.
func get(t *testing.T, b backends.Bucket, key string) []byte {
	t.Helper()
	return readFrom(t, b, key, 0)
}

// readFrom reads key from offset to the end.
func readFrom(t *testing.T, b backends.Bucket, key string, offset int64) []byte {
	t.Helper()
	r, err := b.Open(t.Context(), key, offset)
	if err != nil {
		t.Fatalf("Open(%q, %d): %v", key, offset, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading %q from %d: %v", key, offset, err)
	}
	return data
}

// checkContent fails unless key holds exactly want.
func checkContent(t *testing.T, b backends.Bucket, key string, want []byte) {
	t.Helper()
	if got := get(t, b, key); !bytes.Equal(got, want) {
		t.Errorf("content of %q: got %d bytes %s, want %d bytes %s",
			key, len(got), preview(got), len(want), preview(want))
	}
}

func preview(b []byte) string {
	if len(b) > 16 {
		return string(b[:16]) + "…"
	}
	return string(b)
}

// stat returns the entry of key, failing the test on error.
func stat(t *testing.T, b backends.Bucket, key string) backends.Entry {
	t.Helper()
	e, err := b.Stat(t.Context(), key)
	if err != nil {
		t.Fatalf("Stat(%q): %v", key, err)
	}
	if e.ModTime.IsZero() {
		t.Errorf("Stat(%q): zero ModTime", key)
	}
	return e
}

// checkFile fails unless key is a file of size bytes.
func checkFile(t *testing.T, b backends.Bucket, key string, size int64) {
	t.Helper()
	e := stat(t, b, key)
	if e.IsDir || e.Size != size {
		t.Errorf("Stat(%q) = dir %v size %d, want a file of %d bytes", key, e.IsDir, e.Size, size)
	}
}

// checkDir fails unless key is a directory.
func checkDir(t *testing.T, b backends.Bucket, key string) {
	t.Helper()
	if e := stat(t, b, key); !e.IsDir {
		t.Errorf("Stat(%q) is a file of %d bytes, want a directory", key, e.Size)
	}
}

// checkMissing fails unless Stat(key) returns ErrNotExist.
func checkMissing(t *testing.T, b backends.Bucket, key string) {
	t.Helper()
	_, err := b.Stat(t.Context(), key)
	wantErr(t, err, "Stat("+quote(key)+")", backends.ErrNotExist)
}

// wantErr fails unless err is one of wants (by errors.Is).
func wantErr(t *testing.T, err error, what string, wants ...error) {
	t.Helper()
	for _, w := range wants {
		if errors.Is(err, w) {
			return
		}
	}
	var names []string
	for _, w := range wants {
		names = append(names, w.Error())
	}
	t.Errorf("%s: got error %v, want %s", what, err, strings.Join(names, " or "))
}

func quote(key string) string {
	return "\"" + strings.ReplaceAll(key, "\x00", `\x00`) + "\""
}

// list reads the whole listing of dir, checking the paging rules and that
// every entry is well formed.
func (s *suite) list(t *testing.T, b backends.Bucket, dir string) (entries []backends.Entry, pages int) {
	t.Helper()
	l, err := b.List(t.Context(), dir)
	if err != nil {
		t.Fatalf("List(%q): %v", dir, err)
	}
	defer l.Close()
	for {
		page, err := l.Next(t.Context())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("List(%q) page %d: %v", dir, pages+1, err)
		}
		if len(page) == 0 {
			t.Fatalf("List(%q) page %d is empty without an error", dir, pages+1)
		}
		if s.opts.ListPageSize > 0 && len(page) > s.opts.ListPageSize {
			t.Errorf("List(%q) page %d has %d entries, page size is %d", dir, pages+1, len(page), s.opts.ListPageSize)
		}
		pages++
		entries = append(entries, page...)
	}
	checkEntries(t, dir, entries)
	return entries, pages
}

// checkEntries enforces what holds for every listing: sorted unique names
// without slashes, non-zero times, directories of size 0.
func checkEntries(t *testing.T, dir string, entries []backends.Entry) {
	t.Helper()
	for i, e := range entries {
		switch {
		case e.Name == "" || strings.Contains(e.Name, "/"):
			t.Errorf("List(%q): bad name %q", dir, e.Name)
		case e.ModTime.IsZero():
			t.Errorf("List(%q): %q has a zero ModTime", dir, e.Name)
		case e.IsDir && e.Size != 0:
			t.Errorf("List(%q): directory %q has size %d", dir, e.Name, e.Size)
		}
		if i > 0 && entries[i-1].Name == e.Name {
			t.Errorf("List(%q): %q listed twice in a row", dir, e.Name)
		}
	}
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		if seen[e.Name] {
			t.Errorf("List(%q): %q listed twice", dir, e.Name)
		}
		seen[e.Name] = true
	}
	byName := func(a, b backends.Entry) int { return strings.Compare(a.Name, b.Name) }
	byKey := func(a, b backends.Entry) int { return strings.Compare(sortKey(a), sortKey(b)) }
	if !slices.IsSortedFunc(entries, byName) && !slices.IsSortedFunc(entries, byKey) {
		t.Errorf("List(%q) is in neither name nor key order: %q", dir, names(entries))
	}
}

// sortKey is an entry's position in an object store's key order, where a
// directory "a" is the prefix "a/".
func sortKey(e backends.Entry) string {
	if e.IsDir {
		return e.Name + "/"
	}
	return e.Name
}

func names(entries []backends.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Name
	}
	return out
}

// checkNames fails unless the listing of dir is exactly want (sorted).
func (s *suite) checkNames(t *testing.T, b backends.Bucket, dir string, want ...string) []backends.Entry {
	t.Helper()
	entries, _ := s.list(t, b, dir)
	// Order is checked by list; compare as sets here, since key order
	// and name order differ where a directory name prefixes a file's.
	got := names(entries)
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("List(%q) = %q, want %q", dir, got, want)
	}
	return entries
}

// randomBytes returns n reproducible pseudo-random bytes.
func randomBytes(seed uint64, n int) []byte {
	out := make([]byte, n)
	fillRandom(rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), out)
	return out
}

func fillRandom(r *rand.Rand, p []byte) {
	for i := 0; i < len(p); i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < len(p); j++ {
			p[i+j] = byte(v >> (8 * j))
		}
	}
}

// putStream writes size pseudo-random bytes to key without holding them in
// memory, returning their SHA-256.
func putStream(t *testing.T, b backends.Bucket, key string, size int64, seed uint64) [32]byte {
	t.Helper()
	w, err := b.Create(t.Context(), key, backends.CreateOptions{})
	if err != nil {
		t.Fatalf("Create(%q): %v", key, err)
	}
	r := rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 42}))
	h := sha256.New()
	buf := make([]byte, chunkSize)
	for left := size; left > 0; {
		p := buf[:min(left, int64(len(buf)))]
		fillRandom(r, p)
		h.Write(p)
		if _, err := w.Write(p); err != nil {
			w.Abort()
			t.Fatalf("Write to %q after %d bytes: %v", key, size-left, err)
		}
		left -= int64(len(p))
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit(%q): %v", key, err)
	}
	return [32]byte(h.Sum(nil))
}

// hashOf reads key and returns its SHA-256 and length.
func hashOf(t *testing.T, b backends.Bucket, key string) ([32]byte, int64) {
	t.Helper()
	r, err := b.Open(t.Context(), key, 0)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		t.Fatalf("reading %q after %d bytes: %v", key, n, err)
	}
	return [32]byte(h.Sum(nil)), n
}
