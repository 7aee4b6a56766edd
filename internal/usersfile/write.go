package usersfile

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
)

// The steps of a write that can fail after the temporary file exists;
// variables so that a test can make each one fail.
var (
	syncFile   = (*os.File).Sync
	renameFile = os.Rename
)

// writeAtomic replaces the file at path with data, so that a reader (the
// loader, the fsnotify watch, an editor) sees the old content or the new,
// never a part: a temporary file in the same directory, with the old
// file's mode and owner, is written and fsynced, then renamed over the
// file, and the directory fsynced so the rename survives a crash (a
// failure of that last step is logged, not returned: the file is
// already replaced). A
// symbolic link at path is followed: its target is replaced and the link
// stays. was is the content the edit started from: if the file no
// longer holds it (an edit by hand in between), nothing is replaced.
func writeAtomic(path string, data, was []byte) (err error) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	st, err := os.Stat(target)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return fmt.Errorf("users_file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(st.Mode().Perm()); err != nil {
		return fmt.Errorf("users_file: %w", err)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		// Keep the owner where we may (root may; others only keep their
		// own), so a file the server reads as another user stays readable.
		tmp.Chown(int(sys.Uid), int(sys.Gid))
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("users_file: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("users_file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("users_file: %w", err)
	}
	if now, err := ReadFile(target); err != nil || !bytes.Equal(now, was) {
		return ErrStale
	}
	if err := renameFile(tmp.Name(), target); err != nil {
		return fmt.Errorf("users_file: %w", err)
	}
	if err := syncDir(dir); err != nil {
		// The new file is in place and is what every reader now sees, so
		// the edit goes on; only its survival of a crash is in doubt.
		slog.Warn("users_file replaced, but the directory could not be synced: a crash may undo the change", "dir", dir, "err", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("users_file: fsync of %s: %w", dir, err)
	}
	return nil
}
