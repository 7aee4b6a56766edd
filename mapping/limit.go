package mapping

import (
	"errors"
	"io"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// limitWriter enforces upload_max_bytes on a staged upload w, of which
// written bytes are there already (a resumed file's head: the limit is on
// the stored file). Past the limit the upload is aborted at once, so
// nothing of it is ever committed, whatever the caller does next.
//
// The result has w's fast path (io.ReaderFrom) exactly when w has one,
// as the contract asks of every wrapper (see backends.Writer): an upload
// with a limit is filled straight from the client's connection too.
func limitWriter(w backends.Writer, max, written int64) backends.Writer {
	lw := &limitedWriter{Writer: w, max: max, written: written}
	if _, ok := w.(io.ReaderFrom); ok {
		return &limitedReaderFrom{lw}
	}
	return lw
}

type limitedWriter struct {
	backends.Writer
	max, written int64
	exceeded     bool
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if w.exceeded {
		return 0, backends.ErrFileTooLarge
	}
	if int64(len(p)) > w.max-w.written {
		w.exceed()
		return 0, backends.ErrFileTooLarge
	}
	n, err := w.Writer.Write(p)
	w.written += int64(n)
	return n, err
}

func (w *limitedWriter) Commit() error {
	if w.exceeded {
		return backends.ErrFileTooLarge
	}
	return w.Writer.Commit()
}

// exceed aborts the upload for good.
func (w *limitedWriter) exceed() {
	w.exceeded = true
	_ = w.Writer.Abort()
}

// limitedReaderFrom is a limitedWriter over a Writer with a fast path.
type limitedReaderFrom struct{ *limitedWriter }

var _ io.ReaderFrom = (*limitedReaderFrom)(nil)

// ReadFrom hands the wrapped ReadFrom a source that ends at the limit,
// and fails the upload if the client sends even one byte more.
func (w *limitedReaderFrom) ReadFrom(r io.Reader) (int64, error) {
	if w.exceeded {
		return 0, backends.ErrFileTooLarge
	}
	src := &limitedSource{r: r, left: w.max - w.written}
	n, err := w.Writer.(io.ReaderFrom).ReadFrom(src)
	w.written += n
	if src.over {
		w.exceed()
		return n, backends.ErrFileTooLarge
	}
	return n, err
}

// limitedSource reads at most left bytes of r; at the limit it looks for
// one more, and fails (over) if r has it: a file of exactly the limit is
// fine, one byte more is not.
type limitedSource struct {
	r    io.Reader
	left int64
	over bool
}

var errOverLimit = errors.New("the upload passed its size limit")

func (s *limitedSource) Read(p []byte) (int, error) {
	if s.over {
		return 0, errOverLimit
	}
	if len(p) == 0 {
		return 0, nil
	}
	if s.left == 0 {
		// p is the writer's buffer: a byte read into it here is never
		// reported (n is 0), so it is never staged.
		n, err := s.r.Read(p[:1])
		if n > 0 {
			s.over = true
			return 0, errOverLimit
		}
		return 0, err
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, err := s.r.Read(p)
	s.left -= int64(n)
	return n, err
}
