package gcs

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"cloud.google.com/go/storage"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

var _ backends.Writer = (*objectWriter)(nil)

// writerState is where an objectWriter is in its life.
type writerState int

const (
	writing writerState = iota
	committing
	committed
	aborted
)

// errAborted is the cause of an aborted upload's cancellation.
var errAborted = fmt.Errorf("upload aborted: %w", context.Canceled)

// objectWriter is a staged upload: the SDK writer streams chunks into a
// resumable session (or, for a file shorter than one chunk, holds it for
// one request), and GCS makes the object visible only when the session is
// finalized, which happens in Close. Abort cancels the writer's context:
// the session is never finalized, so no object appears, and the unfinished
// session expires on the service's side (it is not a listable object).
type objectWriter struct {
	w      *storage.Writer
	ctx    context.Context
	cancel context.CancelCauseFunc
	key    string
	// commitTimeout bounds Commit's final request: the SDK's chunk
	// transfer timeout covers only the chunks of a resumable session,
	// not the single request of a file shorter than one chunk.
	commitTimeout time.Duration

	// s and final add the digests to the object once it is finalized:
	// the SDK sends the metadata when the upload starts.
	s     *store
	final func() map[string]string
	// parent is the context Create was given (ctx is cancelled when
	// the upload ends).
	parent context.Context

	mu    sync.Mutex
	state writerState
	err   error // Commit's result, once committed
}

// Write does not hold mu while the SDK writes, so that Abort from another
// goroutine can interrupt a Write blocked on the network.
func (o *objectWriter) Write(p []byte) (int, error) {
	o.mu.Lock()
	state := o.state
	o.mu.Unlock()
	if state != writing {
		return 0, fmt.Errorf("gcs: write to %q after %s: %w", o.key, stateName(state), backends.ErrInvalid)
	}
	n, err := o.w.Write(p)
	if err != nil {
		return n, classify(o.ctx, "upload", o.key, err)
	}
	return n, nil
}

// Commit finalizes the upload. A second Commit returns the first's result.
func (o *objectWriter) Commit() error {
	o.mu.Lock()
	switch o.state {
	case committed:
		o.mu.Unlock()
		return o.err
	case committing:
		o.mu.Unlock()
		return fmt.Errorf("gcs: upload to %q: Commit called concurrently: %w", o.key, backends.ErrInvalid)
	case aborted:
		o.mu.Unlock()
		return fmt.Errorf("gcs: commit of %q after abort: %w", o.key, backends.ErrInvalid)
	}
	o.state = committing
	o.mu.Unlock()

	stalled := time.AfterFunc(o.commitTimeout, func() {
		o.cancel(fmt.Errorf("no answer from the store within chunk_timeout (%s): %w", o.commitTimeout, backends.ErrTransient))
	})
	err := classify(o.ctx, "upload", o.key, o.w.Close())
	stalled.Stop()
	// The upload is over either way; release the context's resources.
	o.cancel(context.Canceled)

	if err == nil && o.final != nil {
		o.addDigests()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.state, o.err = committed, err
	return err
}

// addDigests patches the digests into the finalized object's metadata,
// pinned to its generation. A failure is logged, not returned: the
// object is whole, and HASH then reads it instead.
func (o *objectWriter) addDigests() {
	attrs := o.w.Attrs()
	if attrs == nil {
		return
	}
	obj := toObject(attrs)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(o.ctx), o.s.requestTimeout)
	defer cancel()
	if err := o.s.UpdateMetadata(ctx, obj, o.final()); err != nil {
		slog.Warn("upload committed, but its digests could not be recorded", "key", o.key, "err", err)
	}
}

// Abort discards the upload. It is harmless after Commit returned, and a
// no-op the second time. During a Commit it cancels the final request:
// then either the object was finalized first and Commit returns nil, or
// Commit returns the cancellation.
func (o *objectWriter) Abort() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch o.state {
	case writing:
		o.state = aborted
		o.cancel(errAborted)
	case committing:
		o.cancel(errAborted)
	}
	return nil
}

func stateName(s writerState) string {
	switch s {
	case committing, committed:
		return "commit"
	case aborted:
		return "abort"
	}
	return "write"
}
