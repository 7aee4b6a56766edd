package objstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

const testRange = 256 << 10

func parallelBucket(s *fakeStore, conc int) backends.Bucket {
	return NewBucket(s, Options{Download: Download{DownloadConcurrency: conc, DownloadPartSize: testRange}})
}

// TestParallelRead: from any offset, through WriteTo and through small
// Reads, the ranges arrive complete and in order, one Get per range.
func TestParallelRead(t *testing.T) {
	data := pattern(10*testRange + testRange/2)
	for _, offset := range []int64{0, 1, testRange, 3*testRange + 17, int64(len(data)) - testRange - 1, int64(len(data)) - 5} {
		t.Run(fmt.Sprint(offset), func(t *testing.T) {
			s := newFakeStore(PartOptions{})
			s.put("k", data)
			b := parallelBucket(s, 3)
			r, err := b.Open(t.Context(), "k", offset)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if _, err := io.Copy(&got, r); err != nil || !bytes.Equal(got.Bytes(), data[offset:]) {
				t.Fatalf("WriteTo from %d: %d bytes, %v; equal %v", offset, got.Len(), err, bytes.Equal(got.Bytes(), data[offset:]))
			}
			r.Close()
			rest := int64(len(data)) - offset
			ranges := int32(1)
			if rest > testRange {
				ranges = int32((rest + testRange - 1) / testRange)
			}
			if n := s.gets.Load(); n != ranges {
				t.Errorf("%d Gets for %d bytes, want %d", n, rest, ranges)
			}

			r, _ = b.Open(t.Context(), "k", offset)
			defer r.Close()
			got.Reset()
			buf := make([]byte, 1000)
			for {
				n, err := r.Read(buf)
				got.Write(buf[:n])
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(got.Bytes(), data[offset:]) {
				t.Fatalf("Read from %d: %d bytes, not the object's", offset, got.Len())
			}
		})
	}
}

// spanWatcher is a writer that records how many ranges the reader holds
// whenever it is written to.
type spanWatcher struct {
	p   *parallelReader
	max int
	n   int64
}

func (w *spanWatcher) Write(b []byte) (int, error) {
	w.max = max(w.max, len(w.p.spans))
	w.n += int64(len(b))
	return len(b), nil
}

// TestParallelReadBounded: no more than concurrency ranges (and buffers)
// exist at once, however long the object.
func TestParallelReadBounded(t *testing.T) {
	s := newFakeStore(PartOptions{})
	s.put("k", pattern(40*testRange))
	r, err := parallelBucket(s, 4).Open(t.Context(), "k", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := r.(*parallelReader)
	w := &spanWatcher{p: p}
	if _, err := p.WriteTo(w); err != nil || w.n != 40*testRange {
		t.Fatalf("WriteTo: %d bytes, %v", w.n, err)
	}
	if w.max != 4 {
		t.Errorf("at most %d ranges held at once, want 4", w.max)
	}
}

// TestParallelReadRangeFails: a range that cannot be read fails the
// download after exactly the bytes before it, with the range's error.
func TestParallelReadRangeFails(t *testing.T) {
	s := newFakeStore(PartOptions{})
	data := pattern(12 * testRange)
	s.put("k", data)
	s.fail = func(op, key string) error {
		if op == "get" && key == fmt.Sprintf("k@%d", 5*testRange) {
			return fmt.Errorf("injected: %w", backends.ErrTransient)
		}
		return nil
	}
	r, err := parallelBucket(s, 3).Open(t.Context(), "k", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got bytes.Buffer
	n, err := io.Copy(&got, r)
	if !errors.Is(err, backends.ErrTransient) || n != 5*testRange || !bytes.Equal(got.Bytes(), data[:n]) {
		t.Fatalf("download with range 5 failing: %d bytes, %v; want %d bytes of the object and ErrTransient", n, err, 5*testRange)
	}
}

// TestParallelReadOverwritten: an object overwritten during a download
// fails it; whatever was delivered is the old version's.
func TestParallelReadOverwritten(t *testing.T) {
	s := newFakeStore(PartOptions{})
	old := pattern(12 * testRange)
	s.put("k", old)
	r, err := parallelBucket(s, 2).Open(t.Context(), "k", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, testRange)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatal(err)
	}
	s.put("k", bytes.Repeat([]byte{0xEE}, len(old)))
	rest, err := io.ReadAll(r)
	if !errors.Is(err, backends.ErrTransient) {
		t.Fatalf("after an overwrite: %d more bytes, %v; want ErrTransient", len(rest), err)
	}
	got := append(buf, rest...)
	if !bytes.Equal(got, old[:len(got)]) {
		t.Fatal("bytes of the new version were delivered")
	}
}

// TestParallelReadClose: closing half way stops every range and later
// reads fail.
func TestParallelReadClose(t *testing.T) {
	s := newFakeStore(PartOptions{})
	s.put("k", pattern(12*testRange))
	r, err := parallelBucket(s, 4).Open(t.Context(), "k", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(r, make([]byte, testRange+1)); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if len(r.(*parallelReader).spans) != 0 {
		t.Error("ranges still held after Close")
	}
	if _, err := r.Read(make([]byte, 10)); !errors.Is(err, backends.ErrInvalid) {
		t.Errorf("Read after Close: %v, want ErrInvalid", err)
	}
}

func TestDownloadValidate(t *testing.T) {
	for _, d := range []Download{{DownloadConcurrency: -1}, {DownloadConcurrency: 65}, {DownloadPartSize: 1000}, {DownloadPartSize: 2 << 30}} {
		if err := d.Validate(); !errors.Is(err, backends.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", d, err)
		}
	}
	if err := (Download{DownloadConcurrency: 8, DownloadPartSize: 16 << 20}).Validate(); err != nil {
		t.Error(err)
	}
}

// TestParallelOpenFails: a download whose first range the store refuses
// fails at Open, before any transfer starts, as a single stream does.
func TestParallelOpenFails(t *testing.T) {
	s := newFakeStore(PartOptions{})
	s.put("k", pattern(4*testRange))
	s.fail = func(op, key string) error {
		if op == "get" && key == fmt.Sprintf("k@%d", testRange+3) {
			return fmt.Errorf("injected: %w", backends.ErrPermission)
		}
		return nil
	}
	if _, err := parallelBucket(s, 3).Open(t.Context(), "k", testRange+3); !errors.Is(err, backends.ErrPermission) {
		t.Fatalf("Open with the first range refused: %v, want ErrPermission", err)
	}
}
