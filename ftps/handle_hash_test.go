package ftps_test

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// TestHASHComputed asks every digest of a file that has none recorded
// (the memory backend keeps no metadata): each is computed by reading,
// and checked against the digest computed here.
func TestHASHComputed(t *testing.T) {
	ts := startServer(t)
	data := randomBytes(300<<10+3, 11)
	ts.putObject(t, "alice/data.bin", data)
	s256, s1, m5 := sha256.Sum256(data), sha1.Sum(data), md5.Sum(data)
	crc := fmt.Sprintf("%08x", crc32.ChecksumIEEE(data))
	want := map[string]string{
		"SHA-256": hex.EncodeToString(s256[:]), "SHA-1": hex.EncodeToString(s1[:]),
		"MD5": hex.EncodeToString(m5[:]), "CRC32": crc,
	}
	c := loggedIn(t, ts)
	feat := c.must("FEAT", 211)
	for _, f := range []string{"\n HASH SHA-256*;SHA-1;MD5;CRC32\n", "\n MFMT\n"} {
		if !strings.Contains(feat, f) {
			t.Errorf("FEAT lacks %q:\n%s", f, feat)
		}
	}
	size := fmt.Sprint(len(data))
	for _, algo := range []string{"SHA-256", "SHA-1", "MD5", "CRC32"} {
		t.Run(algo, func(t *testing.T) {
			if got := c.must("OPTS HASH "+algo, 200); got != algo {
				t.Errorf("OPTS HASH %s = %q", algo, got)
			}
			got := c.must("HASH data.bin", 213)
			if w := algo + " 0-" + size + " " + want[algo] + " data.bin"; got != w {
				t.Errorf("HASH = %q, want %q", got, w)
			}
		})
	}
	for verb, algo := range map[string]string{"XSHA256": "SHA-256", "XSHA1": "SHA-1", "XMD5": "MD5", "XCRC": "CRC32"} {
		t.Run(verb, func(t *testing.T) {
			if got := c.must(verb+" /data.bin", 250); got != want[algo] {
				t.Errorf("%s = %q, want %q", verb, got, want[algo])
			}
		})
	}
	t.Run("unknown algorithm", func(t *testing.T) { c.must("OPTS HASH SHA-512", 504) })
	t.Run("missing file", func(t *testing.T) { c.must("HASH nothing", 550) })
	t.Run("directory", func(t *testing.T) {
		c.must("MKD d", 257)
		c.must("HASH d", 550)
	})
}

// TestHASHReadBound refuses to read a file above max_read_bytes.
func TestHASHReadBound(t *testing.T) {
	ts := startServer(t, func(s *setup) { s.cfg.Server.Hash.MaxReadBytes = 1000 })
	ts.putObject(t, "alice/small", []byte("abc"))
	ts.putObject(t, "alice/big", randomBytes(1001, 1))
	c := loggedIn(t, ts)
	c.must("HASH small", 213)
	if got := c.must("HASH big", 550); !strings.Contains(got, "larger than the server reads") {
		t.Errorf("reply %q does not say why", got)
	}
}

// TestUploadRecordsDigests uploads through a real data connection and
// checks what the store was handed as the stream's digests and uploader.
func TestUploadRecordsDigests(t *testing.T) {
	var rec recordedOptions
	ts := startServer(t, func(s *setup) {
		s.cfg.Server.Hash.Record = []string{"sha256", "md5", "crc32"}
		s.wrap = func(b backends.Backend) backends.Backend { return &optionsBackend{Backend: b, rec: &rec} }
	})
	data := randomBytes(2<<20+9, 4)
	c := loggedIn(t, ts)
	c.must("TYPE I", 200)
	if code, text := c.upload("STOR up.bin", c.openData(true), data); code != 226 {
		t.Fatalf("STOR: %d %s", code, text)
	}
	sums, origin := rec.get()
	s256, m5 := sha256.Sum256(data), md5.Sum(data)
	want := map[string]string{"sha256": hex.EncodeToString(s256[:]), "md5": hex.EncodeToString(m5[:]),
		"crc32": fmt.Sprintf("%08x", crc32.ChecksumIEEE(data))}
	for k, v := range want {
		if sums[k] != v {
			t.Errorf("recorded %s = %q, want %q", k, sums[k], v)
		}
	}
	if origin.User != "alice" || origin.Client != "127.0.0.1" || origin.Session == "" || time.Since(origin.Started) > time.Hour {
		t.Errorf("origin = %+v", origin)
	}
	// A resume records no digests: the kept head never passes here.
	c.must("REST 5", 350)
	if code, text := c.upload("STOR up.bin", c.openData(true), []byte("tail")); code != 226 {
		t.Fatalf("resumed STOR: %d %s", code, text)
	}
	if sums, _ := rec.get(); sums != nil {
		t.Errorf("resume recorded digests %v", sums)
	}
}

// TestMFMT sets times with MFMT and both SITE UTIME forms lftp sends,
// and reads them back with MDTM and MLST.
func TestMFMT(t *testing.T) {
	ts := startServer(t)
	ts.putObject(t, "alice/f.txt", []byte("x"))
	ts.putObject(t, "alice/with space.txt", []byte("y"))
	c := loggedIn(t, ts)
	cases := []struct{ cmd, code, mdtmArg, want string }{
		{"MFMT 20010203040506 f.txt", "213 Modify=20010203040506; f.txt", "f.txt", "20010203040506"},
		{"MFMT 20020304050607.5 with space.txt", "213 Modify=20020304050607; with space.txt", "with space.txt", "20020304050607"},
		{"SITE UTIME 20030405060708 f.txt", "200", "f.txt", "20030405060708"},
		{"SITE UTIME with space.txt 20040506070809 20040506070809 20040506070809 UTC", "200", "with space.txt", "20040506070809"},
	}
	for _, tc := range cases {
		t.Run(tc.cmd, func(t *testing.T) {
			code, text := c.cmd(tc.cmd)
			if got := fmt.Sprintf("%d %s", code, text); !strings.HasPrefix(got, tc.code) {
				t.Fatalf("%s = %q, want %q", tc.cmd, got, tc.code)
			}
			if got := c.must("MDTM "+tc.mdtmArg, 213); got != tc.want {
				t.Errorf("MDTM = %q, want %q", got, tc.want)
			}
			if got := c.must("MLST "+tc.mdtmArg, 250); !strings.Contains(got, "modify="+tc.want) {
				t.Errorf("MLST = %q lacks modify=%s", got, tc.want)
			}
		})
	}
	t.Run("bad time", func(t *testing.T) { c.must("MFMT 2001 f.txt", 501) })
	t.Run("missing file", func(t *testing.T) { c.must("MFMT 20010203040506 nothing", 550) })
	t.Run("needs overwrite", func(t *testing.T) {
		r := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
		r.secure()
		r.login("reader", "reader-pw")
		r.must("MFMT 20010203040506 f.txt", 550)
	})
}

// recordedOptions keeps the digests and origin of the last upload.
type recordedOptions struct {
	mu     sync.Mutex
	sums   map[string]string
	origin backends.Origin
}

func (r *recordedOptions) get() (map[string]string, backends.Origin) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sums, r.origin
}

type optionsBackend struct {
	backends.Backend
	rec *recordedOptions
}

func (b *optionsBackend) Bucket(name string) (backends.Bucket, error) {
	inner, err := b.Backend.Bucket(name)
	return &optionsBucket{Bucket: inner, rec: b.rec}, err
}

type optionsBucket struct {
	backends.Bucket
	rec *recordedOptions
}

func (b *optionsBucket) Create(ctx context.Context, key string, opts backends.CreateOptions) (backends.Writer, error) {
	w, err := b.Bucket.Create(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	return &optionsWriter{Writer: w, opts: opts, rec: b.rec}, nil
}

type optionsWriter struct {
	backends.Writer
	opts backends.CreateOptions
	rec  *recordedOptions
}

// Commit asks for the digests as a driver does: after the last Write.
func (w *optionsWriter) Commit() error {
	w.rec.mu.Lock()
	w.rec.sums, w.rec.origin = nil, w.opts.Origin
	if w.opts.Digests != nil {
		w.rec.sums = w.opts.Digests()
	}
	w.rec.mu.Unlock()
	return w.Writer.Commit()
}
