package mapping

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// Rename moves from to to. It needs "rename" on both mounts, and
// "overwrite" as well when to exists.
func (s *Session) Rename(ctx context.Context, from, to string) error {
	if err := s.rename(ctx, from, to); err != nil {
		return fmt.Errorf("rename %s to %s: %w", displayPath(from), displayPath(to), err)
	}
	return nil
}

func (s *Session) rename(ctx context.Context, from, to string) error {
	src, err := s.resolve(from)
	if err != nil {
		return err
	}
	dst, err := s.resolve(to)
	if err != nil {
		return err
	}
	if err := src.need(PermRename); err != nil {
		return err
	}
	if err := dst.need(PermRename); err != nil {
		return err
	}
	if src.fixed || dst.fixed {
		return fmt.Errorf("mount points cannot be renamed or replaced: %w", backends.ErrPermission)
	}
	if src.mount != dst.mount && !sameBucket(src.mount.Bucket, dst.mount.Bucket) {
		// A copy and delete between stores would hold the control
		// connection for as long as the copy takes, and could leave both
		// or neither copy behind if it failed half-way.
		return backends.ErrCrossMount
	}
	if src.key == dst.key {
		// Nothing to do; and a store that renames by copy and delete
		// would otherwise delete the object it just copied onto itself.
		_, err := src.mount.Bucket.Stat(ctx, src.key)
		return err
	}
	if strings.HasPrefix(dst.key, src.key+"/") {
		return fmt.Errorf("cannot move a directory into itself: %w", backends.ErrInvalid)
	}
	if err := checkRenameTarget(ctx, dst); err != nil {
		return err
	}
	if err := s.checkRenamedName(ctx, src, dst); err != nil {
		return err
	}
	return src.mount.Bucket.Rename(ctx, src.key, dst.key)
}

// checkRenamedName applies the upload name rules to a file's new name, so
// that a rename cannot store what an upload could not ("x.csv" renamed
// to "x.exe"). Directories are exempt: their files keep their names.
func (s *Session) checkRenamedName(ctx context.Context, src, dst target) error {
	if len(s.rules.allow) == 0 && len(s.rules.deny) == 0 {
		return nil
	}
	e, err := src.mount.Bucket.Stat(ctx, src.key)
	if err != nil {
		return err
	}
	if e.IsDir {
		return nil
	}
	return s.rules.checkFileName(dst.vpath)
}

// checkRenameTarget allows replacing an existing file only with
// "overwrite", and never replaces a directory: stores would merge or drop
// trees in ways the client did not ask for.
func checkRenameTarget(ctx context.Context, dst target) error {
	e, err := dst.mount.Bucket.Stat(ctx, dst.key)
	switch {
	case errors.Is(err, backends.ErrNotExist):
		return nil
	case err != nil:
		return err
	case e.IsDir:
		return fmt.Errorf("target is a directory: %w", backends.ErrExist)
	}
	return dst.need(PermOverwrite)
}

// sameBucket reports whether two mounts share one bucket handle, so that a
// rename between them stays inside one store. Users hands out one handle
// per backend and bucket. Only pointer handles are compared, because ==
// on other dynamic types could panic.
func sameBucket(a, b backends.Bucket) bool {
	ta := reflect.TypeOf(a)
	return ta != nil && ta.Kind() == reflect.Pointer && ta == reflect.TypeOf(b) && a == b
}
