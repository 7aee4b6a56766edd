package objstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// DirRename is the part of a driver's configuration that lets RNFR/RNTO
// move directories. An object store has no directories to rename: moving
// one copies every object below it and then deletes the originals, so it
// is off unless the operator turns it on, and bounded.
type DirRename struct {
	// RenameDirectories allows renaming directories.
	RenameDirectories bool `yaml:"rename_directories"`
	// RenameDirectoryLimit is the most objects one directory rename may
	// move (default 1,000); a larger tree is refused before anything is
	// copied.
	RenameDirectoryLimit int `yaml:"rename_directory_limit"`
}

const (
	defaultRenameLimit = 1000
	// renameConcurrency is how many server-side copies (or deletes) of
	// one directory rename run at once.
	renameConcurrency = 8
)

// Validate reports a negative limit, as a *fielderr.Error naming the key
// and wrapping backends.ErrInvalid.
func (d DirRename) Validate() error {
	if d.RenameDirectoryLimit < 0 {
		return &fielderr.Error{Field: "rename_directory_limit", Reason: "must not be negative", Kind: backends.ErrInvalid}
	}
	return nil
}

func (d DirRename) limit() int {
	if d.RenameDirectoryLimit > 0 {
		return d.RenameDirectoryLimit
	}
	return defaultRenameLimit
}

// renameDir moves the tree under from to to in two phases. First every
// object is copied; if any copy fails, the copies made so far are deleted
// and the source is left as it was. Only when the whole tree exists under
// the new name are the originals deleted; if a delete fails, the new tree
// is complete, the old one partly remains, and the error says so: no
// object is lost either way.
func (b *bucket) renameDir(ctx context.Context, from, to string) error {
	if !b.opts.Rename.RenameDirectories {
		return fmt.Errorf("%q is a directory; renaming directories is not enabled for this storage: %w", from, backends.ErrUnsupported)
	}
	if strings.HasPrefix(to, from+"/") {
		return fmt.Errorf("renaming %q below itself: %w", from, backends.ErrInvalid)
	}
	if _, err := b.s.Head(ctx, to); err == nil {
		return fmt.Errorf("%q is a file: %w", to, backends.ErrExist)
	} else if !errors.Is(err, backends.ErrNotExist) {
		return err
	}
	if exists, _, _, err := b.probeDir(ctx, to); err != nil {
		return err
	} else if exists {
		return fmt.Errorf("%q: %w", to, backends.ErrExist)
	}
	objs, err := b.tree(ctx, from+"/", b.opts.Rename.limit())
	if err != nil {
		return err
	}
	target := func(o Object) string { return to + "/" + strings.TrimPrefix(o.Key, from+"/") }

	copied := make([]bool, len(objs))
	err = ForEach(ctx, len(objs), renameConcurrency, func(ctx context.Context, i int) error {
		o := objs[i]
		put := func() error { return b.s.Copy(ctx, o, target(o)) }
		if strings.HasSuffix(o.Key, "/") && o.Size == 0 {
			// A directory marker is made anew: it holds nothing, and
			// some stores refuse to copy one (versitygw).
			put = func() error { return b.s.PutEmpty(ctx, target(o)) }
		}
		if err := put(); err != nil {
			return err
		}
		copied[i] = true
		return nil
	})
	if err != nil {
		// Roll back with a context of its own (the command's may be the
		// one that was cancelled), bounded like an upload's abort.
		rollback, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		undo := ForEach(rollback, len(objs), renameConcurrency, func(ctx context.Context, i int) error {
			if !copied[i] {
				return nil
			}
			return b.s.Delete(ctx, target(objs[i]))
		})
		if undo != nil {
			slog.Error("directory rename failed and its partial copy could not be removed",
				"from", from, "to", to, "err", undo)
		}
		return fmt.Errorf("renaming directory %q: %w", from, err)
	}
	// The move is complete under the new name: finish it even if the
	// client has gone, within the same bound.
	finish, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	err = ForEach(finish, len(objs), renameConcurrency, func(ctx context.Context, i int) error {
		return b.s.Delete(ctx, objs[i].Key)
	})
	if err != nil {
		slog.Error("directory renamed, but some of the old objects remain", "from", from, "to", to, "err", err)
		return fmt.Errorf("directory %q copied to %q, but removing the original failed: %w", from, to, err)
	}
	return nil
}

// tree returns every object under prefix (its marker included), or an
// error once there are more than limit.
func (b *bucket) tree(ctx context.Context, prefix string, limit int) ([]Object, error) {
	var objs []Object
	pending := []string{prefix}
	for len(pending) > 0 {
		p := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		token := ""
		for {
			page, err := b.s.List(ctx, p, token, b.opts.ListPageSize)
			if err != nil {
				return nil, err
			}
			objs = append(objs, page.Objects...)
			pending = append(pending, page.Prefixes...)
			if len(objs) > limit {
				return nil, fmt.Errorf("%q holds more than %d objects (rename_directory_limit): %w",
					strings.TrimSuffix(prefix, "/"), limit, backends.ErrUnsupported)
			}
			if page.Next == "" {
				break
			}
			token = page.Next
		}
	}
	return objs, nil
}
