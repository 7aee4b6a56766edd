package backendtest

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

var readCases = []testCase{
	{"Read/Offsets", testReadOffsets},
	{"Read/NegativeOffset", testReadNegative},
	{"Read/EmptyFile", testReadEmptyFile},
	{"Read/OverwrittenWhileReading", testReadOverwritten},
	{"Read/SizeFromOpen", testReadSize},
}

// testReadSize: the Reader tells the whole file's size at every offset,
// past the end too (a caller tells a REST past the end from it), and for
// a large file read in parallel ranges where the driver does.
func testReadSize(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "empty", nil)
	put(t, b, "small", []byte("0123456789"))
	big := int64(s.opts.PartSize) + 1
	putStream(t, b, "big", big, 11)
	for _, c := range []struct {
		key  string
		size int64
	}{{"empty", 0}, {"small", 10}, {"big", big}} {
		for _, off := range []int64{0, 1, c.size / 2, c.size, c.size + 1} {
			r, err := b.Open(t.Context(), c.key, off)
			if err != nil {
				t.Fatalf("Open(%q, %d): %v", c.key, off, err)
			}
			if got := r.Size(); got != c.size {
				t.Errorf("Open(%q, %d).Size() = %d, want %d", c.key, off, got, c.size)
			}
			r.Close()
		}
	}
}

func testReadOffsets(t *testing.T, s *suite) {
	b := s.bucket(t)
	data := randomBytes(7, 100_003)
	put(t, b, "r/data", data)
	n := int64(len(data))
	for _, off := range []int64{0, 1, n / 2, n - 1} {
		if got := readFrom(t, b, "r/data", off); !bytes.Equal(got, data[off:]) {
			t.Errorf("read from %d: got %d bytes, want the last %d bytes of the file", off, len(got), n-off)
		}
	}
	for _, off := range []int64{n, n + 1, n + 1<<20} {
		checkImmediateEOF(t, b, "r/data", off)
	}
}

// checkImmediateEOF opens key at offset and expects the first Read to
// return no data and io.EOF.
func checkImmediateEOF(t *testing.T, b backends.Bucket, key string, offset int64) {
	t.Helper()
	r, err := b.Open(t.Context(), key, offset)
	if err != nil {
		t.Errorf("Open(%q, %d) at or past the end: %v, want a reader at EOF", key, offset, err)
		return
	}
	defer r.Close()
	buf := make([]byte, 16)
	if n, err := r.Read(buf); n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("first Read of %q at %d = %d bytes, %v; want 0, io.EOF", key, offset, n, err)
	}
}

func testReadNegative(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "f", []byte("abc"))
	r, err := b.Open(t.Context(), "f", -1)
	if err == nil {
		r.Close()
	}
	wantErr(t, err, `Open("f", -1)`, backends.ErrInvalid)
}

func testReadEmptyFile(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "empty", nil)
	checkImmediateEOF(t, b, "empty", 0)
	checkImmediateEOF(t, b, "empty", 5)
}

// testReadOverwritten starts reading v1, overwrites the file with v2 and
// finishes reading: the reader must deliver all of v1 or fail, never a mix.
func testReadOverwritten(t *testing.T, s *suite) {
	b := s.bucket(t)
	const size = 1 << 20
	v1, v2 := bytes.Repeat([]byte{'1'}, size), bytes.Repeat([]byte{'2'}, size)
	put(t, b, "f", v1)
	r, err := b.Open(t.Context(), "f", 0)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	first := make([]byte, size/2)
	if _, err := io.ReadFull(r, first); err != nil {
		t.Fatalf("reading the first half: %v", err)
	}
	put(t, b, "f", v2)
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Logf("reader failed after the overwrite (allowed): %v", err)
	} else if got := append(first, rest...); !bytes.Equal(got, v1) {
		t.Errorf("reader returned %d bytes mixing versions: %d of them are from v2",
			len(got), bytes.Count(got, []byte{'2'}))
	}
	checkContent(t, b, "f", v2)
}
