package mapping

import (
	"context"
	"fmt"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// Describe returns what the store keeps about file p (its uploader and
// recorded digests) for HASH; it needs "download", as reading would.
// Stores without metadata answer with the Entry alone.
func (s *Session) Describe(ctx context.Context, p string) (backends.FileInfo, error) {
	t, err := s.fileTarget(p, PermDownload)
	if err != nil {
		return backends.FileInfo{}, pathErr("describe", p, err)
	}
	if d, ok := t.mount.Bucket.(backends.Describer); ok {
		fi, err := d.Describe(ctx, t.key)
		if err != nil {
			return backends.FileInfo{}, pathErr("describe", p, err)
		}
		return fi, nil
	}
	e, err := t.mount.Bucket.Stat(ctx, t.key)
	if err == nil && e.IsDir {
		err = backends.ErrIsDir
	}
	if err != nil {
		return backends.FileInfo{}, pathErr("describe", p, err)
	}
	return backends.FileInfo{Entry: e}, nil
}

// SetModTime sets file p's modification time (MFMT, SITE UTIME). It
// changes the stored file, so it needs "overwrite".
func (s *Session) SetModTime(ctx context.Context, p string, mt time.Time) error {
	t, err := s.fileTarget(p, PermOverwrite)
	if err == nil {
		tc, ok := t.mount.Bucket.(backends.Toucher)
		if !ok {
			err = fmt.Errorf("this storage keeps no modification times: %w", backends.ErrUnsupported)
		} else {
			err = tc.SetModTime(ctx, t.key, mt)
		}
	}
	if err != nil {
		return pathErr("set time", p, err)
	}
	return nil
}

// fileTarget resolves p, which must lie in a mount that grants perm.
func (s *Session) fileTarget(p string, perm Perm) (target, error) {
	t, err := s.resolve(p)
	switch {
	case err != nil:
		return t, err
	case t.outside():
		return t, backends.ErrNotExist
	case t.fixed:
		return t, backends.ErrIsDir
	}
	if err := t.need(perm); err != nil {
		return t, err
	}
	return t, nil
}
