package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// MinServerCopy is the smallest head of a resumed upload that drivers
// copy server side. Below it the head is read back and written again:
// S3 refuses a copied part under 5 MiB (but the last), and for a few
// MiB the round trip costs less than the extra requests anyway.
const MinServerCopy = 5 << 20

// WriteHead streams the first n bytes of obj (pinned to its version) into
// w, with the fixed-size buffer of io.CopyN: resuming a large file costs
// no more memory than a small one. A driver uses it for a resume it does
// not copy server side.
func WriteHead(ctx context.Context, s Store, w io.Writer, obj Object, n int64) error {
	if n == 0 {
		return nil
	}
	r, err := s.Get(ctx, obj.Key, 0, n, obj.Version)
	if err != nil {
		return err
	}
	defer r.Close()
	copied, err := io.CopyN(w, r, n)
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%q has only %d bytes, cannot resume at %d: %w", obj.Key, copied, n, backends.ErrInvalid)
	}
	return err
}

// CreateWithHead is the generic resume: a writer from create, with the
// kept head written into it first. The writer is aborted on failure.
func CreateWithHead(ctx context.Context, s Store, w backends.Writer, opts WriteOptions) (backends.Writer, error) {
	if opts.KeepBytes == 0 {
		return w, nil
	}
	if err := WriteHead(ctx, s, w, opts.Keep, opts.KeepBytes); err != nil {
		_ = w.Abort()
		return nil, err
	}
	return w, nil
}

// Ranges cuts [0, n) into ranges of at most size bytes and of nearly
// equal length, for the server-side copies of a resumed upload's head:
// none is much shorter than the others, so with n >= MinServerCopy every
// range stays above S3's minimum part size.
func Ranges(n, size int64) [][2]int64 {
	if n <= 0 {
		return nil
	}
	k := (n + size - 1) / size
	each := (n + k - 1) / k
	var out [][2]int64
	for first := int64(0); first < n; first += each {
		out = append(out, [2]int64{first, min(first+each, n)})
	}
	return out
}
