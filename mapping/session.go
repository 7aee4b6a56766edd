package mapping

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// Session is one logged-in user's view of storage: a virtual tree made of
// mounts. It implements ftps.FileSystem. Its view is immutable, so it is
// safe for concurrent use, and a user list reload does not change the
// mounts of sessions that are already logged in; it only decides whether
// the login still stands (Authorized).
type Session struct {
	mounts []*Mount // longest Path first, so the first match is the deepest
	home   string
	// dirTime is the modification time reported for directories that have
	// none in storage (mount points and the virtual directories above
	// them): FTP clients hide entries with a zero time.
	dirTime time.Time
	// rules restrict uploads and rename targets (size, file names).
	rules uploadRules
	// acct is the login behind the session; nil for sessions made
	// directly with NewSession.
	acct *account
}

// NewSession builds a session over mounts, starting in home ("" means
// "/"). Mount paths must be clean and absolute and unique, prefixes
// normalised (see NormalizePrefix), and home must lie in the tree.
func NewSession(home string, mounts ...Mount) (*Session, error) {
	if len(mounts) == 0 {
		return nil, fmt.Errorf("no mounts: %w", backends.ErrInvalid)
	}
	s := &Session{dirTime: time.Now().UTC().Truncate(time.Second)}
	seen := make(map[string]bool, len(mounts))
	for _, m := range mounts {
		if err := checkMount(m); err != nil {
			return nil, err
		}
		if seen[m.Path] {
			return nil, fmt.Errorf("mount %q appears twice: %w", m.Path, backends.ErrInvalid)
		}
		seen[m.Path] = true
		s.mounts = append(s.mounts, &m)
	}
	slices.SortFunc(s.mounts, func(a, b *Mount) int { return cmp.Compare(len(b.Path), len(a.Path)) })
	if home == "" {
		home = "/"
	}
	t, err := s.resolve(home)
	if err == nil && t.outside() {
		err = fmt.Errorf("not inside any mount: %w", backends.ErrInvalid)
	}
	if err != nil {
		return nil, fmt.Errorf("home %q: %w", home, err)
	}
	s.home = t.vpath
	return s, nil
}

func checkMount(m Mount) error {
	if clean, err := CleanPath(m.Path); err != nil || clean != m.Path {
		return fmt.Errorf("mount path %q is not clean and absolute: %w", m.Path, backends.ErrInvalid)
	}
	if p, err := NormalizePrefix(m.Prefix); err != nil || p != m.Prefix {
		return fmt.Errorf("mount %q: prefix %q is not normalised: %w", m.Path, m.Prefix, backends.ErrInvalid)
	}
	if m.Bucket == nil {
		return fmt.Errorf("mount %q has no bucket: %w", m.Path, backends.ErrInvalid)
	}
	return nil
}

// target is a resolved virtual path.
type target struct {
	vpath string // cleaned
	mount *Mount // nil for the virtual directories above mount points
	key   string // the key in mount.Bucket
	// fixed marks a mount point or a directory above one. It always exists
	// as a directory and can never be removed, renamed or replaced, since
	// that would pull storage out from under a mount.
	fixed bool
}

// resolve cleans a client path and finds the deepest mount holding it.
// It fails only for paths that are invalid in themselves; each operation
// decides what a path outside the mounts means for it.
func (s *Session) resolve(p string) (target, error) {
	clean, err := CleanPath(p)
	if err != nil {
		return target{}, err
	}
	t := target{vpath: clean}
	for _, m := range s.mounts {
		if m.Path == clean || isAncestor(clean, m.Path) {
			t.fixed = true
			break
		}
	}
	for _, m := range s.mounts {
		if _, ok := m.rel(clean); ok {
			t.mount = m
			break
		}
	}
	if t.mount == nil {
		return t, nil
	}
	t.key, err = t.mount.Key(clean)
	return t, err
}

// outside reports whether the target lies outside every mount and above
// none: nothing exists there and nothing can be made there.
func (t target) outside() bool { return t.mount == nil && !t.fixed }

// need checks that the target's mount grants every permission in p.
func (t target) need(p Perm) error {
	if t.mount == nil || !t.mount.Perm.Has(p) {
		return fmt.Errorf("%s not permitted: %w", p, backends.ErrPermission)
	}
	return nil
}

// pathErr wraps err with the virtual path the client sent, never the key:
// the prefix is the operator's business, not the client's.
func pathErr(op, p string, err error) error {
	return &fs.PathError{Op: op, Path: displayPath(p), Err: err}
}

// displayPath makes a hostile path safe to put in logs and replies.
func displayPath(p string) string {
	const max = 256
	if len(p) <= max && checkChars(p) == nil {
		return p
	}
	if len(p) > max {
		p = p[:max]
	}
	return strconv.Quote(p)
}

// dirEntry describes a directory that exists by virtue of the mounts.
func (s *Session) dirEntry(vpath string) backends.Entry {
	return backends.Entry{Name: path.Base(vpath), IsDir: true, ModTime: s.dirTime}
}

// Home returns the directory the session starts in.
func (s *Session) Home() string { return s.home }

// Authorized reports whether the session's login still stands under the
// current user list (see Users.Replace). It implements ftps.Revocable.
func (s *Session) Authorized() error {
	if s.acct == nil {
		return nil
	}
	return s.acct.users.recheck(s.acct)
}

// Close ends the session, so that it no longer counts against the user's
// max_sessions. Closing twice is harmless.
func (s *Session) Close() error {
	if s.acct != nil && s.acct.closed.CompareAndSwap(false, true) {
		s.acct.users.release(s.acct.name)
	}
	return nil
}

// Stat describes a file or directory. Any permission on the mount allows
// it: CWD, SIZE and MDTM need it even for upload-only users.
func (s *Session) Stat(ctx context.Context, p string) (backends.Entry, error) {
	t, err := s.resolve(p)
	switch {
	case err != nil:
	case t.outside():
		err = backends.ErrNotExist
	case t.mount != nil && t.mount.Perm == 0:
		err = fmt.Errorf("no permissions on this mount: %w", backends.ErrPermission)
	}
	if err != nil {
		return backends.Entry{}, pathErr("stat", p, err)
	}
	if t.mount == nil {
		return s.dirEntry(t.vpath), nil
	}
	e, err := t.mount.Bucket.Stat(ctx, t.key)
	if t.fixed && (errors.Is(err, backends.ErrNotExist) || err == nil && !e.IsDir) {
		// A mount point exists even before anything is stored under
		// its prefix, or CWD to an empty user's home would fail.
		return s.dirEntry(t.vpath), nil
	}
	if err != nil {
		return backends.Entry{}, pathErr("stat", p, err)
	}
	e.Name = path.Base(t.vpath)
	return e, nil
}

// List streams the entries of a directory, with mount points below it
// merged in as directories.
func (s *Session) List(ctx context.Context, p string) (backends.Lister, error) {
	t, err := s.resolve(p)
	switch {
	case err != nil:
	case t.outside():
		err = backends.ErrNotExist
	case t.mount != nil:
		err = t.need(PermList)
	}
	if err != nil {
		return nil, pathErr("list", p, err)
	}
	virtual := s.mountChildren(t.vpath)
	if t.mount == nil {
		return &staticLister{entries: virtual}, nil
	}
	l, err := t.mount.Bucket.List(ctx, t.key)
	if err != nil {
		return nil, pathErr("list", p, err)
	}
	if len(virtual) == 0 {
		return l, nil
	}
	return &mergeLister{inner: l, virtual: virtual}, nil
}

// mountChildren returns, sorted by name, the directory entries that the
// mount points below dir add to its listing.
func (s *Session) mountChildren(dir string) []backends.Entry {
	var names []string
	for _, m := range s.mounts {
		if !isAncestor(dir, m.Path) {
			continue
		}
		rest := m.Path[len(dir):]
		if rest[0] == '/' {
			rest = rest[1:]
		}
		name, _, _ := strings.Cut(rest, "/")
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	entries := make([]backends.Entry, len(names))
	for i, n := range names {
		entries[i] = backends.Entry{Name: n, IsDir: true, ModTime: s.dirTime}
	}
	return entries
}

// Open reads a file from offset.
func (s *Session) Open(ctx context.Context, p string, offset int64) (backends.Reader, error) {
	t, err := s.resolve(p)
	if err == nil {
		err = t.openable(offset)
	}
	if err != nil {
		return nil, pathErr("open", p, err)
	}
	r, err := t.mount.Bucket.Open(ctx, t.key, offset)
	if err != nil {
		return nil, pathErr("open", p, err)
	}
	return r, nil
}

func (t target) openable(offset int64) error {
	if offset < 0 {
		return fmt.Errorf("negative offset: %w", backends.ErrInvalid)
	}
	if t.outside() {
		return backends.ErrNotExist
	}
	if t.mount == nil {
		return backends.ErrIsDir
	}
	if err := t.need(PermDownload); err != nil {
		return err
	}
	if t.fixed {
		return backends.ErrIsDir
	}
	return nil
}

// Mkdir makes a directory. Mount points and the directories above them
// always exist.
func (s *Session) Mkdir(ctx context.Context, p string) error {
	t, err := s.resolve(p)
	if err == nil && t.fixed {
		err = backends.ErrExist
	}
	if err == nil {
		err = t.need(PermMkdir)
	}
	if err == nil {
		err = t.mount.Bucket.Mkdir(ctx, t.key)
	}
	if err != nil {
		return pathErr("mkdir", p, err)
	}
	return nil
}

// Delete removes a file.
func (s *Session) Delete(ctx context.Context, p string) error {
	t, err := s.removable(p)
	if err == nil {
		err = t.mount.Bucket.Delete(ctx, t.key)
	}
	if err != nil {
		return pathErr("delete", p, err)
	}
	return nil
}

// Rmdir removes an empty directory; like Delete it needs "delete".
func (s *Session) Rmdir(ctx context.Context, p string) error {
	t, err := s.removable(p)
	if err == nil {
		err = t.mount.Bucket.Rmdir(ctx, t.key)
	}
	if err != nil {
		return pathErr("rmdir", p, err)
	}
	return nil
}

// removable resolves p for Delete and Rmdir.
func (s *Session) removable(p string) (target, error) {
	t, err := s.resolve(p)
	if err != nil {
		return t, err
	}
	if err := t.need(PermDelete); err != nil {
		return t, err
	}
	if t.fixed {
		return t, fmt.Errorf("mount point cannot be removed: %w", backends.ErrPermission)
	}
	return t, nil
}
