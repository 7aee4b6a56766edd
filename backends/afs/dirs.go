package afs

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// staleTempAge is how old a staged upload must be before Rmdir treats it as
// the leftover of a crash and deletes it. A live upload rewrites its file
// continuously; no FTP data connection stays idle anywhere near this long.
const staleTempAge = 24 * time.Hour

// Mkdir makes directory key and any missing parents. The root and anything
// already at key return ErrExist; a parent that is a file ErrNotDir.
func (b *bucket) Mkdir(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := backends.CheckKey(key); err != nil {
		return err
	}
	what := subject("mkdir", key)
	if key == "" {
		return fail(what, backends.ErrExist)
	}
	found, _, err := b.exists("mkdir", key)
	switch {
	case err != nil:
		return err
	case found:
		return fail(what, backends.ErrExist)
	}
	if _, err := b.ensureDir(what, parentKey(key)); err != nil {
		return err
	}
	if err := b.fs.Mkdir(b.path(key), dirPerm); err != nil {
		return classify(what, err)
	}
	return nil
}

// Rmdir removes the empty directory key. Staged uploads count as children
// (removing the directory would break them), except ones old enough to be
// leftovers of a crash, which are deleted on the way. Removing the root
// returns ErrPermission.
func (b *bucket) Rmdir(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := backends.CheckKey(key); err != nil {
		return err
	}
	what := subject("rmdir", key)
	if key == "" {
		return fail(what+": the root", backends.ErrPermission)
	}
	info, err := b.lookup("rmdir", key)
	switch {
	case err != nil:
		return err
	case !info.IsDir():
		return fail(what, backends.ErrNotDir)
	}
	empty, err := b.emptyDir(what, b.path(key), true)
	switch {
	case err != nil:
		return err
	case !empty:
		return fail(what, backends.ErrNotEmpty)
	}
	if err := b.fs.Remove(b.path(key)); err != nil {
		return classifyLookup(what, err)
	}
	return nil
}

// emptyDir reports whether directory p has no children. With sweep, stale
// staged uploads are removed rather than counted.
func (b *bucket) emptyDir(what, p string, sweep bool) (bool, error) {
	f, err := b.fs.Open(p)
	if err != nil {
		return false, classifyLookup(what, err)
	}
	defer f.Close()
	for {
		names, err := f.Readdirnames(nameChunk)
		for _, n := range names {
			if !sweep || !strings.HasPrefix(n, backends.TempPrefix) || !b.removeStale(p+"/"+n) {
				return false, nil
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && len(names) == 0) {
			return true, nil
		}
		if err != nil {
			return false, classify(what, err)
		}
	}
}

// removeStale deletes the staged upload at p if it is a leftover, and
// reports whether it is gone.
func (b *bucket) removeStale(p string) bool {
	info, err := lstat(b.fs, p)
	if err != nil || info.IsDir() || time.Since(info.ModTime()) < staleTempAge {
		return false
	}
	return b.fs.Remove(p) == nil
}

// ensureDir makes directory dir and its missing parents one level at a
// time, so that a parent that is a file is reported as ErrNotDir on every
// file system (MemMapFs would otherwise create "file/child"). It returns
// the fs paths it created, outermost first, for cleanup.
func (b *bucket) ensureDir(what, dir string) ([]string, error) {
	target := b.path(dir)
	if info, err := b.fs.Stat(target); err == nil && info.IsDir() {
		return nil, nil
	}
	var made []string
	elems := strings.Split(target, "/")
	for i := range elems {
		p := strings.Join(elems[:i+1], "/")
		if p == "." {
			continue
		}
		created, err := b.mkdirOne(what, p)
		if err != nil {
			return made, err
		}
		if created {
			made = append(made, p)
		}
	}
	return made, nil
}

// mkdirOne makes directory p unless a directory is already there.
func (b *bucket) mkdirOne(what, p string) (created bool, err error) {
	info, err := b.fs.Stat(p)
	switch {
	case err == nil && info.IsDir():
		return false, nil
	case err == nil:
		return false, fail(what+": a parent is a file", backends.ErrNotDir)
	case !isNotExist(classifyLookup(what, err)):
		return false, classify(what, err)
	}
	err = b.fs.Mkdir(p, dirPerm)
	if err == nil {
		return true, nil
	}
	// Lost a race with another Mkdir: fine if it made a directory.
	if info, serr := b.fs.Stat(p); serr == nil && info.IsDir() {
		return false, nil
	}
	return false, classify(what, err)
}

// removeMade removes, innermost first, the directories an aborted upload
// created, as long as they are still empty: another upload or a Mkdir may
// have started using them meanwhile.
func (b *bucket) removeMade(made []string) {
	for i := len(made) - 1; i >= 0; i-- {
		empty, err := b.emptyDir("cleanup", made[i], false)
		if err != nil || !empty || b.fs.Remove(made[i]) != nil {
			return
		}
	}
}
