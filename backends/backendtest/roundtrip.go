package backendtest

import (
	"fmt"
	"testing"
)

// bigFileSize is large enough to need many parts on every object store.
const bigFileSize = 64 << 20

var roundTripCases = []testCase{
	{"RoundTrip/Empty", func(t *testing.T, s *suite) { s.roundTrip(t, 0) }},
	{"RoundTrip/OneByte", func(t *testing.T, s *suite) { s.roundTrip(t, 1) }},
	{"RoundTrip/ExactlyOnePart", func(t *testing.T, s *suite) { s.roundTrip(t, s.opts.PartSize) }},
	{"RoundTrip/OnePartPlusOneByte", func(t *testing.T, s *suite) { s.roundTrip(t, s.opts.PartSize+1) }},
	{"RoundTrip/64MiB", func(t *testing.T, s *suite) {
		if testing.Short() {
			t.Skip("64 MiB round trip skipped in -short mode")
		}
		s.roundTrip(t, bigFileSize)
	}},
}

// roundTrip streams size random bytes to a file and checks that Stat,
// List and a full read all agree with what was written.
func (s *suite) roundTrip(t *testing.T, size int64) {
	b := s.bucket(t)
	key := fmt.Sprintf("rt/file-%d.bin", size)
	want := putStream(t, b, key, size, uint64(size))
	checkFile(t, b, key, size)
	entries := s.checkNames(t, b, "rt", fmt.Sprintf("file-%d.bin", size))
	if len(entries) == 1 && entries[0].Size != size {
		t.Errorf("List size of %q = %d, want %d", key, entries[0].Size, size)
	}
	got, n := hashOf(t, b, key)
	if n != size {
		t.Fatalf("read %d bytes back from %q, wrote %d", n, key, size)
	}
	if got != want {
		t.Errorf("SHA-256 of %q read back %x, written %x", key, got, want)
	}
}
