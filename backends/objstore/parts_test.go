package objstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

// write feeds data in odd-sized chunks.
func write(t *testing.T, w backends.Writer, data []byte) error {
	t.Helper()
	for len(data) > 0 {
		n := min(len(data), 10007)
		if _, err := w.Write(data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

func TestPartWriterSmallIsOnePut(t *testing.T) {
	s := newFakeStore(PartOptions{})
	up := &fakeUpload{s: s, key: "k"}
	w := NewPartWriter(t.Context(), up, PartOptions{PartSize: 1 << 20, Concurrency: 2})
	data := pattern(1<<20 - 1)
	if err := write(t, w, data); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if up.whole != 1 || up.begins != 0 {
		t.Errorf("PutWhole %d times and Begin %d times, want 1 and 0", up.whole, up.begins)
	}
	if got := s.objects["k"].data; !bytes.Equal(got, data) {
		t.Errorf("stored %d bytes, want %d", len(got), len(data))
	}
}

func TestPartWriterParts(t *testing.T) {
	const part = 64 << 10
	s := newFakeStore(PartOptions{})
	up := &fakeUpload{s: s, key: "k"}
	var inflight, peak atomic.Int64
	up.onPart = func(ctx context.Context, n int) error {
		v := inflight.Add(1)
		defer inflight.Add(-1)
		for p := peak.Load(); v > p && !peak.CompareAndSwap(p, v); p = peak.Load() {
		}
		time.Sleep(2 * time.Millisecond)
		return nil
	}
	w := NewPartWriter(t.Context(), up, PartOptions{PartSize: part, Concurrency: 3})
	data := pattern(10*part + 5)
	if err := write(t, w, data); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := s.objects["k"].data; !bytes.Equal(got, data) {
		t.Fatalf("stored %d bytes differ from the %d written", len(got), len(data))
	}
	if len(up.parts) != 11 {
		t.Errorf("%d parts, want 11", len(up.parts))
	}
	for n := 1; n <= 10; n++ {
		if len(up.parts[n]) != part {
			t.Errorf("part %d has %d bytes, want %d", n, len(up.parts[n]), part)
		}
	}
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak of %d parts uploading at once, want 2 or 3 (Concurrency 3)", p)
	}
	if err := w.Abort(); err != nil || up.aborted != 0 {
		t.Errorf("Abort after Commit: %v, store aborts %d; want harmless", err, up.aborted)
	}
}

// TestPartWriterGrowth follows the part-size schedule over a stream far
// beyond MaxParts x PartSize without moving the bytes: at S3's defaults a
// 1 TiB stream must fit in 10,000 parts of at most 5 GiB.
func TestPartWriterGrowth(t *testing.T) {
	w := &partWriter{opts: PartOptions{PartSize: 16 << 20, MaxParts: 10000, MaxPartSize: 5 << 30}}
	const target = 1 << 40
	var biggest int64
	for w.written < target {
		if w.n == w.opts.MaxParts {
			t.Fatalf("reached %d parts after %d GiB of a 1 TiB stream", w.n, w.written>>30)
		}
		size := w.partSize()
		if size < w.opts.PartSize {
			t.Fatalf("part %d of %d bytes, below the part size", w.n+1, size)
		}
		biggest = max(biggest, size)
		w.n++
		w.written += size
	}
	t.Logf("1 TiB: %d parts, largest %d MiB", w.n, biggest>>20)
	if biggest > 1<<30 {
		t.Errorf("largest part %d MiB, want at most 1 GiB", biggest>>20)
	}
	// For the first 2,000 parts (31.25 GiB) the size never changes:
	// memory stays at its bound.
	w = &partWriter{opts: w.opts}
	for w.n < 2000 {
		if size := w.partSize(); size != 16<<20 {
			t.Fatalf("part %d at %d GiB is %d bytes, want 16 MiB", w.n+1, w.written>>30, size)
		}
		w.n++
		w.written += 16 << 20
	}
}

func TestPartWriterFailedPartAborts(t *testing.T) {
	s := newFakeStore(PartOptions{})
	up := &fakeUpload{s: s, key: "k"}
	boom := errors.New("store down")
	up.onPart = func(ctx context.Context, n int) error {
		if n == 2 {
			return boom
		}
		return nil
	}
	w := NewPartWriter(t.Context(), up, PartOptions{PartSize: 64 << 10, Concurrency: 2})
	err := write(t, w, pattern(1<<20))
	if err == nil {
		err = w.Commit()
	} else {
		w.Abort()
	}
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want the part's", err)
	}
	if _, ok := s.objects["k"]; ok || up.aborted != 1 || s.pendingUploads() != 0 {
		t.Errorf("object stored %v, store aborts %d, pending %d; want none, 1, 0", ok, up.aborted, s.pendingUploads())
	}
}

func TestPartWriterCancelAborts(t *testing.T) {
	s := newFakeStore(PartOptions{})
	up := &fakeUpload{s: s, key: "k"}
	ctx, cancel := context.WithCancel(t.Context())
	w := NewPartWriter(ctx, up, PartOptions{PartSize: 64 << 10, Concurrency: 2})
	if err := write(t, w, pattern(300<<10)); err != nil {
		t.Fatal(err)
	}
	cancel()
	// The abort happens without anyone calling Abort or Commit.
	deadline := time.Now().Add(5 * time.Second)
	for s.pendingUploads() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("cancelled upload still pending")
		}
		time.Sleep(time.Millisecond)
	}
	if err := w.Commit(); err == nil {
		t.Fatal("Commit after cancel succeeded")
	}
	if _, ok := s.objects["k"]; ok {
		t.Error("object stored after cancel")
	}
}

func TestPartWriterPartTimeout(t *testing.T) {
	s := newFakeStore(PartOptions{})
	up := &fakeUpload{s: s, key: "k"}
	up.onPart = func(ctx context.Context, n int) error {
		<-ctx.Done() // a stuck request
		return ctx.Err()
	}
	w := NewPartWriter(t.Context(), up, PartOptions{PartSize: 64 << 10, Concurrency: 1, PartTimeout: 50 * time.Millisecond})
	err := write(t, w, pattern(200<<10))
	if err == nil {
		err = w.Commit()
	}
	if !errors.Is(err, backends.ErrTransient) {
		t.Fatalf("error %v, want ErrTransient after the part timeout", err)
	}
	w.Abort()
	if s.pendingUploads() != 0 {
		t.Error("timed-out upload still pending")
	}
}

// TestPartWriterBackpressure: with every part stuck, Write blocks once
// Concurrency parts are in flight and one more is full, instead of
// buffering without bound.
func TestPartWriterBackpressure(t *testing.T) {
	const part = 64 << 10
	s := newFakeStore(PartOptions{})
	up := &fakeUpload{s: s, key: "k"}
	release := make(chan struct{})
	up.onPart = func(ctx context.Context, n int) error { <-release; return nil }
	w := NewPartWriter(t.Context(), up, PartOptions{PartSize: part, Concurrency: 2})
	var accepted atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		chunk := pattern(4 << 10)
		for range 64 * part / len(chunk) {
			n, err := w.Write(chunk)
			accepted.Add(int64(n))
			if err != nil {
				return
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	if got := accepted.Load(); got > 3*part {
		t.Errorf("accepted %d bytes with every part stuck, want at most %d", got, 3*part)
	}
	close(release)
	wg.Wait()
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := len(s.objects["k"].data); got != 64*part {
		t.Errorf("stored %d bytes, want %d", got, 64*part)
	}
}

// TestPartWriterReadFrom: the copy-free path stores the same bytes in the
// same parts as Write, and reports a reader's error.
func TestPartWriterReadFrom(t *testing.T) {
	const part = 64 << 10
	s := newFakeStore(PartOptions{})
	up := &fakeUpload{s: s, key: "k"}
	w := NewPartWriter(t.Context(), up, PartOptions{PartSize: part, Concurrency: 2})
	data := pattern(7*part + 333)
	n, err := w.(io.ReaderFrom).ReadFrom(iotest.HalfReader(bytes.NewReader(data)))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("ReadFrom: %d, %v", n, err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := s.objects["k"].data; !bytes.Equal(got, data) || len(up.parts) != 8 {
		t.Fatalf("stored %d bytes in %d parts, want %d in 8", len(got), len(up.parts), len(data))
	}
	w = NewPartWriter(t.Context(), &fakeUpload{s: s, key: "k2"}, PartOptions{PartSize: part, Concurrency: 2})
	if _, err := w.(io.ReaderFrom).ReadFrom(iotest.TimeoutReader(bytes.NewReader(data))); !errors.Is(err, iotest.ErrTimeout) {
		t.Fatalf("ReadFrom returned %v, want the reader's error", err)
	}
	w.Abort()
	if _, ok := s.objects["k2"]; ok {
		t.Fatal("aborted upload stored")
	}
}

// failingWriter fails after n bytes.
type failingWriter struct{ n int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, errors.New("client gone")
	}
	f.n -= len(p)
	return len(p), nil
}

// TestReaderWriteTo: the chunked path delivers every byte in order,
// and a failing writer ends it with the writer's error.
func TestReaderWriteTo(t *testing.T) {
	s := newFakeStore(PartOptions{})
	data := pattern(7*writeChunk + 12345)
	s.put("k", data)
	b := NewBucket(s, Options{})
	r, err := b.Open(t.Context(), "k", 100)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if n, err := io.Copy(&got, r); err != nil || !bytes.Equal(got.Bytes(), data[100:]) {
		t.Fatalf("WriteTo: %d bytes, %v, equal %v", n, err, bytes.Equal(got.Bytes(), data[100:]))
	}
	r.Close()
	r, _ = b.Open(t.Context(), "k", 0)
	defer r.Close()
	n, err := r.(io.WriterTo).WriteTo(&failingWriter{n: writeChunk + 7})
	if err == nil || err.Error() != "client gone" || n != writeChunk+7 {
		t.Fatalf("WriteTo to a failing writer: %d, %v", n, err)
	}
}

// TestPartWriterTooManyParts: a stream that needs more parts than the
// store allows fails as a file too large (552 at the front end), and
// nothing is stored.
func TestPartWriterTooManyParts(t *testing.T) {
	const part = 64 << 10
	s := newFakeStore(PartOptions{})
	up := &fakeUpload{s: s, key: "k"}
	// MaxPartSize = PartSize: parts cannot grow to make room.
	w := NewPartWriter(t.Context(), up, PartOptions{PartSize: part, MaxPartSize: part, MaxParts: growAfterShare, Concurrency: 1})
	err := write(t, w, pattern((growAfterShare+1)*part+1))
	if err == nil {
		err = w.Commit()
	}
	if !errors.Is(err, backends.ErrFileTooLarge) {
		t.Fatalf("upload of more parts than allowed: %v, want ErrFileTooLarge", err)
	}
	w.Abort()
	if _, ok := s.objects["k"]; ok {
		t.Fatal("an upload over the part limit was stored")
	}
}
