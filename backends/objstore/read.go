package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// readRetries is how many times a download resumes after its stream from
// the store breaks (a reset connection, a server that hangs up), each
// time from the byte it reached and pinned to the same version.
const readRetries = 3

// maxResumes bounds the resumes of one download in total, so that a link
// that keeps delivering a little and then breaking cannot hold a transfer
// (and the client) forever.
const maxResumes = 10

// reader streams one object version from an offset, resuming broken
// streams; it fails rather than return bytes of another version.
type reader struct {
	ctx context.Context
	// abort cancels ctx, and with it the store request in flight; safe
	// from any goroutine.
	abort   context.CancelFunc
	s       Store
	obj     Object
	pos     int64
	end     int64 // exclusive; obj.Size, or a range's end
	body    io.ReadCloser
	retries int
	resumes int
	closed  bool

	// A store that stops sending would hold the download forever (HTTP
	// clients have no read timeout), so a watchdog cancels the request
	// when no byte has arrived for stall; the read then resumes or fails.
	stall     time.Duration
	watchdog  *time.Timer
	cancelGet context.CancelFunc
}

// newReader reads obj from offset up to end (exclusive; obj.Size for the
// rest of the object).
func newReader(ctx context.Context, s Store, obj Object, offset, end int64, stall time.Duration) (*reader, error) {
	ctx, cancel := context.WithCancel(ctx)
	r := &reader{ctx: ctx, abort: cancel, s: s, obj: obj, pos: offset, end: end, stall: stall}
	if err := r.get(); err != nil {
		cancel()
		return nil, err
	}
	return r, nil
}

// Size is the whole object's size.
func (r *reader) Size() int64 { return r.obj.Size }

// get opens the stream at pos, under a fresh watchdog.
func (r *reader) get() error {
	ctx, cancel := context.WithCancel(r.ctx)
	if r.stall > 0 {
		r.watchdog = time.AfterFunc(r.stall, cancel)
	}
	var length int64 // 0: to the object's end
	if r.end < r.obj.Size {
		length = r.end - r.pos
	}
	body, err := r.s.Get(ctx, r.obj.Key, r.pos, length, r.obj.Version)
	if err != nil {
		r.stopWatchdog()
		stalled := r.ctx.Err() == nil && ctx.Err() != nil
		cancel()
		if stalled {
			return fmt.Errorf("reading %q: the store sent nothing for %s: %w", r.obj.Key, r.stall, backends.ErrTransient)
		}
		// The SDK has retried the request already.
		return transient(err)
	}
	r.body, r.cancelGet = body, cancel
	return nil
}

func (r *reader) stopWatchdog() {
	if r.watchdog != nil {
		r.watchdog.Stop()
		r.watchdog = nil
	}
}

// drop closes the current stream and its request.
func (r *reader) drop() {
	r.stopWatchdog()
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
	if r.cancelGet != nil {
		r.cancelGet()
		r.cancelGet = nil
	}
}

func (r *reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, fmt.Errorf("read after close: %w", backends.ErrInvalid)
	}
	for {
		if r.pos >= r.end {
			return 0, io.EOF
		}
		if r.body == nil {
			if err := r.get(); err != nil {
				return 0, err
			}
		}
		if rest := r.end - r.pos; int64(len(p)) > rest {
			p = p[:rest]
		}
		n, err := r.body.Read(p)
		r.pos += int64(n)
		if n > 0 {
			r.retries = 0
			if r.watchdog != nil {
				r.watchdog.Reset(r.stall)
			}
			return n, nil
		}
		if err == nil {
			continue
		}
		r.drop()
		if errors.Is(err, io.EOF) && r.pos >= r.end {
			return 0, io.EOF
		}
		// The stream ended, broke or stalled early. Cancellation by the
		// caller and classified store errors are final; anything else is
		// the connection, worth resuming.
		if r.ctx.Err() != nil {
			return 0, r.ctx.Err()
		}
		if (r.retries >= readRetries || r.resumes >= maxResumes) && errors.Is(err, context.Canceled) {
			return 0, fmt.Errorf("reading %q at byte %d of %d: the store sent nothing for %s: %w", r.obj.Key, r.pos, r.obj.Size, r.stall, backends.ErrTransient)
		}
		if kind := backends.Kind(err); kind != nil && !errors.Is(err, context.Canceled) || r.retries >= readRetries || r.resumes >= maxResumes {
			return 0, fmt.Errorf("reading %q at byte %d of %d: %w", r.obj.Key, r.pos, r.obj.Size, transient(err))
		}
		r.retries++
		r.resumes++
	}
}

// transient classifies an unclassified stream error as ErrTransient.
func transient(err error) error {
	if backends.Kind(err) != nil {
		return err
	}
	return fmt.Errorf("%w: %w", backends.ErrTransient, err)
}

// emptyReader is what Open returns for an offset at or past the end.
type emptyReader struct{ size int64 }

func (emptyReader) Read([]byte) (int, error) { return 0, io.EOF }
func (emptyReader) Close() error             { return nil }
func (e emptyReader) Size() int64            { return e.size }

func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.drop()
	r.abort()
	return nil
}
