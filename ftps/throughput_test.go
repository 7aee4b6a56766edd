package ftps_test

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkTransfer measures one explicit-FTPS upload and download of
// 64 MiB through the front end over the memory backend, with the Go
// client. `go test -bench Transfer ./ftps/` reports MB/s.
func BenchmarkTransfer(b *testing.B) {
	ts := startServer(b)
	c := goClient(b, ts, false, "alice", "alice-pw")
	data := randomBytes(64<<20, 1)
	b.Run("STOR", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			if err := c.Stor("bench.bin", bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("RETR", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			r, err := c.Retr("bench.bin")
			if err != nil {
				b.Fatal(err)
			}
			if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(data)) {
				b.Fatal(n, err)
			}
			r.Close()
		}
	})
}
