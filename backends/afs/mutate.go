package afs

import (
	"context"
	"fmt"
	"strings"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// Delete removes file key. A symbolic link is removed itself, never its
// target.
func (b *bucket) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := backends.CheckKey(key); err != nil {
		return err
	}
	what := subject("delete", key)
	if key == "" {
		return fail(what, backends.ErrIsDir)
	}
	info, err := b.lookup("delete", key)
	switch {
	case err != nil:
		return err
	case info.IsDir():
		return fail(what, backends.ErrIsDir)
	}
	if err := b.fs.Remove(b.path(key)); err != nil {
		return classifyLookup(what, err)
	}
	return nil
}

// Rename moves from to to, creating to's missing parents. A file replaces
// any file at to (atomically: it is one rename); a directory at to returns
// ErrIsDir. Directories can be renamed too, since one rename moves the
// whole tree at once, but only onto a free name (ErrExist otherwise) and
// not into themselves (ErrInvalid). The root cannot be renamed.
func (b *bucket) Rename(ctx context.Context, from, to string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := backends.CheckKey(from); err != nil {
		return err
	}
	if err := backends.CheckKey(to); err != nil {
		return err
	}
	what := fmt.Sprintf("rename %q to %q", from, to)
	if from == "" || to == "" {
		return fail(what+": the root", backends.ErrInvalid)
	}
	src, err := b.lookup("rename", from)
	if err != nil {
		return err
	}
	if from == to {
		return nil
	}
	if err := b.checkRenameTarget(what, from, to, src.IsDir()); err != nil {
		return err
	}
	made, err := b.ensureDir(what, parentKey(to))
	if err == nil {
		err = b.fs.Rename(b.path(from), b.path(to))
		if err != nil {
			err = classify(what, err)
		}
	}
	if err != nil {
		b.removeMade(made)
	}
	return err
}

// checkRenameTarget refuses what the kernel would refuse too, so that
// MemMapFs, which would replace a directory or orphan a tree, behaves the
// same as a disk.
func (b *bucket) checkRenameTarget(what, from, to string, srcIsDir bool) error {
	found, dstIsDir, err := b.exists("rename", to)
	switch {
	case err != nil:
		return err
	case srcIsDir && strings.HasPrefix(to, from+"/"):
		return fail(what+": into itself", backends.ErrInvalid)
	case found && dstIsDir:
		return fail(what, backends.ErrIsDir)
	case found && srcIsDir:
		return fail(what, backends.ErrExist)
	}
	return nil
}
