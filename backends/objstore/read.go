package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// readRetries is how many times a download resumes after its stream from
// the store breaks (a reset connection, a server that hangs up), each
// time from the byte it reached and pinned to the same version.
const readRetries = 3

// reader streams one object version from an offset, resuming broken
// streams; it fails rather than return bytes of another version.
type reader struct {
	ctx     context.Context
	s       Store
	obj     Object
	pos     int64
	body    io.ReadCloser
	retries int
	closed  bool
}

func newReader(ctx context.Context, s Store, obj Object, offset int64) (*reader, error) {
	r := &reader{ctx: ctx, s: s, obj: obj, pos: offset}
	body, err := s.Get(ctx, obj.Key, offset, obj.Version)
	if err != nil {
		return nil, err
	}
	r.body = body
	return r, nil
}

func (r *reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, fmt.Errorf("read after close: %w", backends.ErrInvalid)
	}
	for {
		if r.pos >= r.obj.Size {
			return 0, io.EOF
		}
		if r.body == nil {
			body, err := r.s.Get(r.ctx, r.obj.Key, r.pos, r.obj.Version)
			if err != nil {
				return 0, err
			}
			r.body = body
		}
		if rest := r.obj.Size - r.pos; int64(len(p)) > rest {
			p = p[:rest]
		}
		n, err := r.body.Read(p)
		r.pos += int64(n)
		if n > 0 {
			r.retries = 0
			return n, nil
		}
		if err == nil {
			continue
		}
		r.body.Close()
		r.body = nil
		if errors.Is(err, io.EOF) && r.pos >= r.obj.Size {
			return 0, io.EOF
		}
		// The stream ended or broke early. Cancellation and classified
		// store errors are final; anything else is the connection.
		if r.ctx.Err() != nil {
			return 0, r.ctx.Err()
		}
		if backends.Kind(err) != nil || r.retries >= readRetries {
			return 0, fmt.Errorf("reading %q at byte %d of %d: %w", r.obj.Key, r.pos, r.obj.Size, transient(err))
		}
		r.retries++
	}
}

// transient classifies an unclassified stream error as ErrTransient.
func transient(err error) error {
	if backends.Kind(err) != nil {
		return err
	}
	return fmt.Errorf("%w: %w", backends.ErrTransient, err)
}

func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.body != nil {
		return r.body.Close()
	}
	return nil
}
