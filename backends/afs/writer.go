package afs

import (
	"context"
	"path"
	"sync"

	"github.com/spf13/afero"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// writer is a staged upload in the temporary file tmp. Its mutex orders
// the caller's calls against the abort that ctx's cancellation triggers
// from another goroutine.
type writer struct {
	b    *bucket
	ctx  context.Context
	key  string
	tmp  string
	made []string // parent directories Create made, outermost first

	mu    sync.Mutex
	f     afero.File
	state int
	err   error // why the upload was aborted
	stop  func() bool
}

func (b *bucket) newWriter(ctx context.Context, key string, f afero.File, tmp string, made []string) *writer {
	w := &writer{b: b, ctx: ctx, key: key, tmp: tmp, made: made, f: f}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stop = context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.abortLocked(context.Cause(ctx))
	})
	return w
}

// Write appends p to the staged file. A failed write aborts the upload:
// a file with a hole in it must never be committed.
func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usableLocked(); err != nil {
		return 0, err
	}
	n, err := w.f.Write(p)
	if err != nil {
		err = classify(subject("write", w.key), err)
		w.abortLocked(err)
	}
	return n, err
}

// Commit makes the upload durable (fsync) and then visible by renaming it
// over key, which atomically replaces any previous file. A second Commit
// after a successful one returns nil; Commit after Abort returns an error.
func (w *writer) Commit() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == committed {
		return nil
	}
	if err := w.usableLocked(); err != nil {
		return err
	}
	if err := w.publishLocked(); err != nil {
		w.abortLocked(err)
		return err
	}
	w.state = committed
	w.stop()
	return nil
}

// Abort discards the upload. It is a no-op after Commit or Abort.
func (w *writer) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == writing {
		w.abortLocked(errAborted)
	}
	return nil
}

// usableLocked returns why the writer can take no more data, if it can't.
// It checks ctx itself rather than relying on the AfterFunc alone, so that
// a Write or Commit after cancellation fails deterministically.
func (w *writer) usableLocked() error {
	if w.state == writing {
		if err := w.ctx.Err(); err != nil {
			w.abortLocked(context.Cause(w.ctx))
		}
	}
	switch w.state {
	case committed:
		return errCommitted
	case aborted:
		return w.err
	}
	return nil
}

func (w *writer) publishLocked() error {
	what := subject("commit", w.key)
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	if err != nil {
		return classify(what, err)
	}
	// MemMapFs would replace a directory; the kernel returns EISDIR,
	// which classify maps too, if one appears after this check.
	if _, isDir, err := w.b.exists("commit", w.key); err != nil {
		return err
	} else if isDir {
		return fail(what, backends.ErrIsDir)
	}
	if err := w.b.fs.Rename(w.tmp, w.b.path(w.key)); err != nil {
		return classify(what, err)
	}
	syncDir(w.b.fs, path.Dir(w.tmp))
	return nil
}

// abortLocked removes the staged file and the parents Create made.
func (w *writer) abortLocked(cause error) {
	if w.state != writing {
		return
	}
	w.state, w.err = aborted, cause
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	w.b.fs.Remove(w.tmp)
	w.b.removeMade(w.made)
	w.stop()
}

// syncDir makes a rename in dir durable. It is best effort: some file
// systems cannot fsync a directory, and the data itself is already synced.
func syncDir(fsys afero.Fs, dir string) {
	if d, err := fsys.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
