package s3

import (
	"hash/crc32"
	"math/rand/v2"
	"testing"
)

// TestCRC32CCombine checks the combination against the CRC of the
// concatenation, for empty, tiny, odd and multi-megabyte halves.
func TestCRC32CCombine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 3<<20+7)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, split := range []int{0, 1, 2, 3, 255, 4096, 1 << 20, len(data) - 1, len(data)} {
		a, b := data[:split], data[split:]
		want := crc32.Checksum(data, castagnoli)
		got := crc32cCombine(crc32.Checksum(a, castagnoli), crc32.Checksum(b, castagnoli), int64(len(b)))
		if got != want {
			t.Errorf("split at %d: combined %08x, want %08x", split, got, want)
		}
	}
	// Many parts folded in order, as Complete does.
	var sum uint32
	for off := 0; off < len(data); off += 333333 {
		part := data[off:min(off+333333, len(data))]
		sum = crc32cCombine(sum, crc32.Checksum(part, castagnoli), int64(len(part)))
	}
	if want := crc32.Checksum(data, castagnoli); sum != want {
		t.Errorf("folded %08x, want %08x", sum, want)
	}
}
