package ftps

import (
	"testing"
)

// BenchmarkRecordDigests is the CPU cost of server.hash.record: the
// bytes of an upload hashed as they are written, per algorithm, against
// writing them alone. MB/s on one core; an FTPS upload on this machine
// runs at about 130 MB/s, so an algorithm far above that costs little.
func BenchmarkRecordDigests(b *testing.B) {
	chunk := make([]byte, 256<<10)
	for i := range chunk {
		chunk[i] = byte(i * 7)
	}
	for _, names := range [][]string{nil, {"crc32"}, {"md5"}, {"sha1"}, {"sha256"}, {"sha256", "md5", "sha1", "crc32"}} {
		label := "none"
		if len(names) > 0 {
			label = names[0]
			if len(names) > 1 {
				label = "all"
			}
		}
		b.Run(label, func(b *testing.B) {
			rec := newRecorder(names)
			b.SetBytes(int64(len(chunk)))
			for b.Loop() {
				rec.out.Write(chunk)
			}
		})
	}
}
