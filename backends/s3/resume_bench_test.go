package s3

import (
	"bytes"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

// BenchmarkResumeFirstByte measures what a client resuming an upload
// waits for: from the resume (Create with the head kept) until its first
// byte is accepted, resuming at 1 GiB on the local versitygw (the issue's
// figure; the fixture alone writes 1 GiB, so this runs in make bench,
// not make test). "read back" is the path every resume took before
// (the head streamed through this process); "server side" is
// UploadPartCopy. The ratio is reported as read-back/server-side.
func BenchmarkResumeFirstByte(b *testing.B) {
	const head = 1 << 30
	f := newFixture(b, Config{PartSize: 16 << 20, UploadConcurrency: 4})
	name := f.newBucketName(b)
	st := &store{client: f.be.client, bucket: name, cfg: f.be.cfg, log: f.be.log}
	w, err := st.Create(b.Context(), "big", objstore.WriteOptions{})
	if err != nil {
		b.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	for written := 0; written < head; written += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		b.Fatal(err)
	}
	obj, err := st.Head(b.Context(), "big")
	if err != nil {
		b.Fatal(err)
	}
	opts := objstore.WriteOptions{Keep: obj, KeepBytes: head}
	firstByte := func(readBack bool) time.Duration {
		start := time.Now()
		var w interface {
			Write([]byte) (int, error)
			Abort() error
		}
		if readBack {
			up := &multipart{s: st, key: "big"}
			pw, err := objstore.CreateWithHead(b.Context(), st, objstore.NewPartWriter(b.Context(), up, st.partOptions()), opts)
			if err != nil {
				b.Fatal(err)
			}
			w = pw
		} else {
			sw, err := st.Create(b.Context(), "big", opts)
			if err != nil {
				b.Fatal(err)
			}
			w = sw
		}
		if _, err := w.Write([]byte("x")); err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		w.Abort()
		return d
	}
	var before, after time.Duration
	for b.Loop() {
		before += firstByte(true)
		after += firstByte(false)
	}
	b.ReportMetric(before.Seconds()/float64(b.N), "s-read-back")
	b.ReportMetric(after.Seconds()/float64(b.N), "s-server-side")
	b.ReportMetric(before.Seconds()/after.Seconds(), "x-faster")
}
