package backendtest

import (
	"bytes"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

var resumeCases = []testCase{
	{"resume keeps the head", testResumeSmall},
	{"resume keeps a head above the server-copy minimum", testResumeLarge},
	{"resume inside a large object", testResumeInside},
	{"resume past the end is refused", testResumePastEnd},
	{"resume of a missing file is refused", testResumeMissing},
	{"aborted resume leaves the old object", testResumeAbort},
}

var metadataCases = []testCase{
	{"uploader and digests are recorded", testMetadataRecorded},
	{"renamed objects keep their metadata", testMetadataRenamed},
	{"modification time is set", testSetModTime},
}

// resume writes tail after the first keep bytes of key and commits.
func resume(t *testing.T, b backends.Bucket, key string, keep int64, tail []byte) error {
	t.Helper()
	w, err := b.Create(t.Context(), key, backends.CreateOptions{Keep: keep})
	if err != nil {
		return err
	}
	if _, err := w.Write(tail); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

func testResumeSmall(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "f", []byte("0123456789"))
	if err := resume(t, b, "f", 4, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	if got := get(t, b, "f"); string(got) != "0123abc" {
		t.Fatalf("got %q, want 0123abc", got)
	}
}

// testResumeLarge keeps a whole object of 6 MiB (APPE): the case that
// S3, GCS and Azure copy server side.
func testResumeLarge(t *testing.T, s *suite) {
	b := s.bucket(t)
	head := randomBytes(3, 6<<20+5)
	put(t, b, "big", head)
	tail := randomBytes(9, 100<<10)
	if err := resume(t, b, "big", int64(len(head)), tail); err != nil {
		t.Fatal(err)
	}
	want := append(bytes.Clone(head), tail...)
	if got := get(t, b, "big"); !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes, want %d (the head and the tail)", len(got), len(want))
	}
	s.checkNames(t, b, "", "big")
	s.checkNoPendingUploads(t)
}

func testResumeInside(t *testing.T, s *suite) {
	b := s.bucket(t)
	head := randomBytes(4, 6<<20+5)
	put(t, b, "big", head)
	keep := int64(5<<20 + 17)
	if err := resume(t, b, "big", keep, []byte("tail")); err != nil {
		t.Fatal(err)
	}
	want := append(bytes.Clone(head[:keep]), "tail"...)
	if got := get(t, b, "big"); !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes, want %d", len(got), len(want))
	}
}

func testResumePastEnd(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "f", []byte("0123"))
	err := resume(t, b, "f", 5, []byte("x"))
	if !errors.Is(err, backends.ErrInvalid) {
		t.Fatalf("resume past the end = %v, want ErrInvalid", err)
	}
	if got := get(t, b, "f"); string(got) != "0123" {
		t.Fatalf("old object changed to %q", got)
	}
}

func testResumeMissing(t *testing.T, s *suite) {
	b := s.bucket(t)
	if err := resume(t, b, "nothing", 3, []byte("x")); !errors.Is(err, backends.ErrInvalid) {
		t.Fatalf("resume of a missing file = %v, want ErrInvalid", err)
	}
	s.checkNames(t, b, "")
}

func testResumeAbort(t *testing.T, s *suite) {
	b := s.bucket(t)
	head := randomBytes(5, 6<<20+5)
	put(t, b, "big", head)
	w, err := b.Create(t.Context(), "big", backends.CreateOptions{Keep: int64(len(head))})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("never"))
	w.Abort()
	if got := get(t, b, "big"); !bytes.Equal(got, head) {
		t.Fatalf("aborted resume changed the object (%d bytes, want %d)", len(got), len(head))
	}
	s.checkNames(t, b, "", "big")
	s.checkNoPendingUploads(t)
}

var testOrigin = backends.Origin{
	User: "acmé", Client: "127.0.0.9", Session: "42",
	Started: time.Date(2026, 12, 2, 10, 11, 12, 0, time.UTC),
}

var testDigests = map[string]string{"sha256": "ab12", "crc32": "cd34"}

// putWithOrigin writes data with the test origin and digests.
func putWithOrigin(t *testing.T, b backends.Bucket, key string, data []byte) {
	t.Helper()
	w, err := b.Create(t.Context(), key, backends.CreateOptions{
		Origin:  testOrigin,
		Digests: func() map[string]string { return maps.Clone(testDigests) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

// checkRecorded checks key's FileInfo, and its raw metadata through the
// store's SDK when the driver's test gives a way.
func checkRecorded(t *testing.T, s *suite, b backends.Bucket, key string) {
	t.Helper()
	d := b.(backends.Describer)
	fi, err := d.Describe(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Origin != testOrigin {
		t.Errorf("Origin = %+v, want %+v", fi.Origin, testOrigin)
	}
	if !maps.Equal(fi.Digests, testDigests) {
		t.Errorf("Digests = %v, want %v", fi.Digests, testDigests)
	}
	if s.opts.RawMetadata == nil {
		return
	}
	raw := s.opts.RawMetadata(t, b, key)
	want := map[string]string{
		"ftpsbridge_user": "acm%C3%A9", "ftpsbridge_client": "127.0.0.9", "ftpsbridge_session": "42",
		"ftpsbridge_uploaded": "2026-12-02T10:11:12Z", "ftpsbridge_sha256": "ab12", "ftpsbridge_crc32": "cd34",
	}
	for k, v := range want {
		if raw[k] != v {
			t.Errorf("raw metadata %s = %q, want %q (all: %v)", k, raw[k], v, raw)
		}
	}
}

func testMetadataRecorded(t *testing.T, s *suite) {
	b := s.bucket(t)
	putWithOrigin(t, b, "small", []byte("hello"))
	if _, ok := b.(backends.Describer); !ok {
		// Local disk keeps no metadata: the options must not hurt.
		checkContent(t, b, "small", []byte("hello"))
		return
	}
	checkRecorded(t, s, b, "small")
	// Larger than a part: the multipart path records them too.
	putWithOrigin(t, b, "large", randomBytes(6, int(s.opts.PartSize)+1))
	checkRecorded(t, s, b, "large")
}

func testMetadataRenamed(t *testing.T, s *suite) {
	b := s.bucket(t)
	putWithOrigin(t, b, "from", []byte("hello"))
	if err := b.Rename(t.Context(), "from", "to"); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.(backends.Describer); !ok {
		checkContent(t, b, "to", []byte("hello"))
		return
	}
	checkRecorded(t, s, b, "to")
}

func testSetModTime(t *testing.T, s *suite) {
	b := s.bucket(t)
	tc, ok := b.(backends.Toucher)
	if !ok {
		t.Fatal("every driver sets modification times (MFMT)")
	}
	put(t, b, "f", []byte("hello"))
	mt := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := tc.SetModTime(t.Context(), "f", mt); err != nil {
		t.Fatal(err)
	}
	e, err := b.Stat(t.Context(), "f")
	if err != nil {
		t.Fatal(err)
	}
	if !e.ModTime.Equal(mt) {
		t.Errorf("Stat ModTime = %v, want %v", e.ModTime, mt)
	}
	if got := get(t, b, "f"); string(got) != "hello" {
		t.Errorf("content changed to %q", got)
	}
	listedAt := func() (time.Time, bool) {
		entries, _ := s.list(t, b, "")
		for _, e := range entries {
			if e.Name == "f" {
				return e.ModTime, true
			}
		}
		return time.Time{}, false
	}
	if lt, ok := listedAt(); !ok || !lt.Equal(mt) {
		t.Errorf("List ModTime = %v (listed %v), want %v", lt, ok, mt)
	}
	// Overwritten, the file shows its new upload time, in Stat and in
	// listings (which may remember the old answer: they must not).
	put(t, b, "f", []byte("hello again"))
	if e, err := b.Stat(t.Context(), "f"); err != nil || e.ModTime.Equal(mt) {
		t.Errorf("Stat after overwrite = %v, %v; want the new upload time", e.ModTime, err)
	}
	if lt, ok := listedAt(); !ok || lt.Equal(mt) {
		t.Errorf("List ModTime after overwrite = %v (listed %v); want the new upload time", lt, ok)
	}
	if err := tc.SetModTime(t.Context(), "missing", mt); !errors.Is(err, backends.ErrNotExist) {
		t.Errorf("SetModTime of a missing file = %v, want ErrNotExist", err)
	}
}
