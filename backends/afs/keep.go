package afs

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

var _ backends.Toucher = (*bucket)(nil)

// keepHead copies the first n bytes of the file at key into the staged
// file of w (a resumed upload). On a local disk, *os.File's ReadFrom
// lets the kernel copy them (copy_file_range) without passing through
// this process.
func (b *bucket) keepHead(key string, w *writer, n int64) error {
	what := subject("resume", key)
	if n < 0 {
		return fail(what+": negative offset", backends.ErrInvalid)
	}
	f, err := b.fs.Open(b.path(key))
	if err != nil {
		if isNotExist(classifyLookup(what, err)) {
			return fail(what+": the file does not exist", backends.ErrInvalid)
		}
		return classify(what, err)
	}
	defer f.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usableLocked(); err != nil {
		return err
	}
	copied, err := io.Copy(w.f, io.LimitReader(f, n))
	switch {
	case err != nil:
		return classify(what, err)
	case copied < n:
		return fail(fmt.Sprintf("%s: the file has only %d bytes, cannot resume at %d", what, copied, n), backends.ErrInvalid)
	}
	return nil
}

// SetModTime sets the file's modification time (MFMT).
func (b *bucket) SetModTime(ctx context.Context, key string, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := backends.CheckKey(key); err != nil {
		return err
	}
	what := subject("set time", key)
	info, err := b.lookup("set time", key)
	if err != nil {
		return err
	}
	if info.IsDir() {
		return fail(what, backends.ErrIsDir)
	}
	if !usable(info) {
		return fail(what+": not a regular file", backends.ErrPermission)
	}
	if err := b.fs.Chtimes(b.path(key), t, t); err != nil {
		return classify(what, err)
	}
	return nil
}
