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
	// What the upload may replace is said in the call, not asked first
	// with a Stat: the store checks it itself, as part of starting the
	// write (see backends.CreateOptions). A directory is refused by every
	// store; a resume needs a file at least offset bytes long (Keep); a
	// file at p needs "overwrite" (IfNotExist without it).
	opts.Keep = offset
	opts.IfNotExist = t.need(PermOverwrite) != nil
	w, err := t.mount.Bucket.Create(ctx, t.key, opts)
	if errors.Is(err, backends.ErrExist) && opts.IfNotExist {
		return nil, fmt.Errorf("replacing a file: %w", t.need(PermOverwrite))
	}
	if err != nil {
		return nil, err
	}
	if s.rules.maxBytes > 0 {
		// The kept head counts: the limit is on the stored file.
		w = limitWriter(w, s.rules.maxBytes, offset)
	}
	return w, nil
}
