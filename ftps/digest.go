package ftps

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"io"
	"strings"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// algorithm is one digest HASH can answer.
type algorithm struct {
	feat string // its name in FEAT, OPTS HASH and the HASH reply
	name string // its name in config and in object metadata
	new  func() hash.Hash
}

var algorithms = []algorithm{
	{"SHA-256", "sha256", sha256.New},
	{"SHA-1", "sha1", sha1.New},
	{"MD5", "md5", md5.New},
	{"CRC32", "crc32", func() hash.Hash { return crc32.NewIEEE() }},
}

func algorithmByName(name string) *algorithm {
	for i := range algorithms {
		if algorithms[i].name == name {
			return &algorithms[i]
		}
	}
	return nil
}

func algorithmByFeat(feat string) *algorithm {
	for i := range algorithms {
		if strings.EqualFold(algorithms[i].feat, feat) {
			return &algorithms[i]
		}
	}
	return nil
}

// hashFeature is the FEAT line: every algorithm, the session's marked.
func hashFeature(selected string) string {
	names := make([]string, len(algorithms))
	for i, a := range algorithms {
		names[i] = a.feat
		if a.feat == selected {
			names[i] += "*"
		}
	}
	return "HASH " + strings.Join(names, ";")
}

// recorder computes the configured digests of an upload's stored bytes
// in the same pass that writes them.
type recorder struct {
	names  []string
	hashes []hash.Hash
	out    io.Writer
}

func newRecorder(names []string) *recorder {
	r := &recorder{}
	var ws []io.Writer
	for _, n := range names {
		if a := algorithmByName(n); a != nil {
			h := a.new()
			r.names = append(r.names, n)
			r.hashes = append(r.hashes, h)
			ws = append(ws, h)
		}
	}
	r.out = io.MultiWriter(ws...)
	return r
}

// sums returns the digests of what was written, in hex.
func (r *recorder) sums() map[string]string {
	m := make(map[string]string, len(r.names))
	for i, n := range r.names {
		m[n] = hex.EncodeToString(r.hashes[i].Sum(nil))
	}
	return m
}

// wrap tees w's bytes into the digests. The result has w's fast path
// (io.ReaderFrom) exactly when w has one (see backends.Writer).
func (r *recorder) wrap(w backends.Writer) backends.Writer {
	rw := &recordingWriter{Writer: w, r: r}
	if _, ok := w.(io.ReaderFrom); ok {
		return &recordingReaderFrom{rw}
	}
	return rw
}

type recordingWriter struct {
	backends.Writer
	r *recorder
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	n, err := w.Writer.Write(p)
	w.r.out.Write(p[:n])
	return n, err
}

// recordingReaderFrom is a recordingWriter over a Writer with a fast path.
type recordingReaderFrom struct{ *recordingWriter }

var _ io.ReaderFrom = (*recordingReaderFrom)(nil)

// ReadFrom hashes each chunk as the store's writer reads it.
func (w *recordingReaderFrom) ReadFrom(src io.Reader) (int64, error) {
	return w.Writer.(io.ReaderFrom).ReadFrom(io.TeeReader(src, w.r.out))
}
