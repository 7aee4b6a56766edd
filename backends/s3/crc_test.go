package s3

import (
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
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

// TestConfigChecksumType: full_object is the default with CRC checksums;
// bad values, and a checksum type without CRCs, are refused by name.
func TestConfigChecksumType(t *testing.T) {
	if got := (Config{}).withDefaults().ChecksumType; got != "full_object" {
		t.Errorf("default checksum_type %q, want full_object", got)
	}
	if got := (Config{RequestChecksum: "when_required"}).withDefaults().ChecksumType; got != "" {
		t.Errorf("checksum_type %q with when_required, want none (Content-MD5)", got)
	}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{ChecksumType: "sha256"}, "checksum_type"},
		{Config{ChecksumType: "composite", RequestChecksum: "when_required"}, "checksum_type: needs request_checksum"},
		{Config{DirRename: objstore.DirRename{RenameDirectoryLimit: -1}}, "rename_directory_limit"},
	} {
		err := c.cfg.Validate()
		if !errors.Is(err, backends.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want ErrInvalid mentioning %q", c.cfg, err, c.want)
		}
	}
	if err := (&Config{ChecksumType: "composite"}).Validate(); err != nil {
		t.Errorf("composite: %v", err)
	}
}
