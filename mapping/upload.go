package mapping

import (
	"context"
	"errors"
	"fmt"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// Create starts a staged upload to p. A new file needs "upload"; replacing
// an existing one also needs "overwrite". With offset > 0 (REST+STOR or
// APPE) the upload resumes an existing file: that needs "overwrite" too,
// since the stored object is replaced, and the first offset bytes of the
// old object are kept in the new one before the client's data (by the
// store, server side where it can: see backends.CreateOptions.Keep).
// opts carry the uploader and the digests; Keep is set from offset.
func (s *Session) Create(ctx context.Context, p string, offset int64, opts backends.CreateOptions) (backends.Writer, error) {
	w, err := s.create(ctx, p, offset, opts)
	if err != nil {
		return nil, pathErr("create", p, err)
	}
	return w, nil
}

func (s *Session) create(ctx context.Context, p string, offset int64, opts backends.CreateOptions) (backends.Writer, error) {
	if offset < 0 {
		return nil, fmt.Errorf("negative offset: %w", backends.ErrInvalid)
	}
	t, err := s.resolve(p)
	if err != nil {
		return nil, err
	}
	if t.mount == nil && t.fixed {
		return nil, backends.ErrIsDir
	}
	if err := t.need(PermUpload); err != nil {
		return nil, err
	}
	if offset > 0 {
		if err := t.need(PermOverwrite); err != nil {
			return nil, err
		}
	}
	if t.fixed {
		return nil, backends.ErrIsDir
	}
	if err := s.rules.checkFileName(t.vpath); err != nil {
		return nil, err
	}
	if max := s.rules.maxBytes; max > 0 && offset > max {
		return nil, backends.ErrFileTooLarge
	}
	if err := checkExisting(ctx, t, offset); err != nil {
		return nil, err
	}
	opts.Keep = offset
	w, err := t.mount.Bucket.Create(ctx, t.key, opts)
	if err != nil {
		return nil, err
	}
	if s.rules.maxBytes > 0 {
		// The kept head counts: the limit is on the stored file.
		w = &limitedWriter{Writer: w, max: s.rules.maxBytes, written: offset}
	}
	return w, nil
}

// checkExisting looks at what the upload would replace: a directory is
// refused, a file needs "overwrite", and a resume needs a file at least
// offset bytes long.
func checkExisting(ctx context.Context, t target, offset int64) error {
	e, err := t.mount.Bucket.Stat(ctx, t.key)
	switch {
	case errors.Is(err, backends.ErrNotExist):
		if offset > 0 {
			return fmt.Errorf("cannot resume a file that does not exist: %w", backends.ErrInvalid)
		}
		return nil
	case err != nil:
		return err
	case e.IsDir:
		return backends.ErrIsDir
	}
	if err := t.need(PermOverwrite); err != nil {
		return err
	}
	if offset > e.Size {
		return fmt.Errorf("resume offset %d is past the end of the file (%d bytes): %w",
			offset, e.Size, backends.ErrInvalid)
	}
	return nil
}

// limitedWriter enforces upload_max_bytes on a staged upload. The bytes
// of a resumed file's head count too: the limit is on the stored file.
// Past the limit the upload is aborted at once, so nothing of it is ever
// committed, whatever the caller does next.
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
		w.exceeded = true
		_ = w.Writer.Abort()
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
