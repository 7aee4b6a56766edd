package ftps

import (
	"fmt"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// HashConfig is server.hash: which digests uploads record, and how much
// HASH may read to compute one that was not recorded.
type HashConfig struct {
	// Record lists the digests computed on every upload's stream and
	// stored with the object (sha256, sha1, md5, crc32); [] records none.
	Record []string `yaml:"record"`
	// MaxReadBytes bounds the file HASH (and XSHA256, ...) reads to
	// compute a digest that was not recorded; 0 never reads.
	MaxReadBytes backends.Size `yaml:"max_read_bytes"`
}

// defaultHashConfig records nothing: on S3 a recorded digest costs every
// multipart upload a server-side copy of the object before 226 (its
// metadata is fixed before the digest is known), which an operator should
// choose knowingly. HASH then reads the file, up to 1 GiB.
func defaultHashConfig() HashConfig {
	return HashConfig{Record: []string{}, MaxReadBytes: 1 << 30}
}

func (h HashConfig) validate() error {
	seen := map[string]bool{}
	for i, name := range h.Record {
		if algorithmByName(name) == nil {
			return fielderr.New(fmt.Sprintf("server.hash.record.%d", i), "unknown digest %q (known: sha256, sha1, md5, crc32)", name)
		}
		if seen[name] {
			return fielderr.New(fmt.Sprintf("server.hash.record.%d", i), "digest %q listed twice", name)
		}
		seen[name] = true
	}
	if h.MaxReadBytes < 0 {
		return fielderr.New("server.hash.max_read_bytes", "must not be negative")
	}
	return nil
}
