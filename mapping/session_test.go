package mapping

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// seed stores the objects the single-mount tests start from, under prefix u.
func seed(t *testing.T, b backends.Bucket) {
	put(t, b, "u/file", "hello")
	put(t, b, "u/file2", "other")
	put(t, b, "u/dir/x", "x")
	if err := b.Mkdir(context.Background(), "u/empty"); err != nil {
		t.Fatal(err)
	}
}

func TestSessionPermissions(t *testing.T) {
	ctx := context.Background()
	stat := func(p string) func(*Session) error {
		return func(s *Session) error { _, err := s.Stat(ctx, p); return err }
	}
	list := func(p string) func(*Session) error {
		return func(s *Session) error { _, err := listNames(t, s, p); return err }
	}
	open := func(p string) func(*Session) error {
		return func(s *Session) error { _, err := download(s, p, 0); return err }
	}
	create := func(p string) func(*Session) error {
		return func(s *Session) error { return upload(s, p, 0, "new") }
	}
	mkdir := func(p string) func(*Session) error { return func(s *Session) error { return s.Mkdir(ctx, p) } }
	del := func(p string) func(*Session) error { return func(s *Session) error { return s.Delete(ctx, p) } }
	rmdir := func(p string) func(*Session) error { return func(s *Session) error { return s.Rmdir(ctx, p) } }
	rename := func(from, to string) func(*Session) error {
		return func(s *Session) error { return s.Rename(ctx, from, to) }
	}
	all := PermAll
	tests := []struct {
		name string
		perm Perm
		op   func(*Session) error
		want error
	}{
		{"stat with upload only", PermUpload, stat("/file"), nil},
		{"stat root", PermUpload, stat("/"), nil},
		{"stat missing", all, stat("/nope"), backends.ErrNotExist},
		{"stat without any permission", 0, stat("/file"), backends.ErrPermission},
		{"list", PermList, list("/"), nil},
		{"list without list", all &^ PermList, list("/"), backends.ErrPermission},
		{"list file", PermList, list("/file"), backends.ErrNotDir},
		{"open", PermDownload, open("/file"), nil},
		{"open without download", all &^ PermDownload, open("/file"), backends.ErrPermission},
		{"open root", PermDownload, open("/"), backends.ErrIsDir},
		{"open dir", PermDownload, open("/dir"), backends.ErrIsDir},
		{"open missing", PermDownload, open("/nope"), backends.ErrNotExist},
		{"create new", PermUpload, create("/new"), nil},
		{"create without upload", all &^ PermUpload, create("/new"), backends.ErrPermission},
		{"create existing without overwrite", PermUpload, create("/file"), backends.ErrPermission},
		{"create existing with overwrite", PermUpload | PermOverwrite, create("/file"), nil},
		{"overwrite alone is not upload", PermOverwrite, create("/file"), backends.ErrPermission},
		{"create onto dir", all, create("/dir"), backends.ErrIsDir},
		{"create onto root", all, create("/"), backends.ErrIsDir},
		{"mkdir", PermMkdir, mkdir("/new"), nil},
		{"mkdir without mkdir", all &^ PermMkdir, mkdir("/new"), backends.ErrPermission},
		{"mkdir existing", PermMkdir, mkdir("/dir"), backends.ErrExist},
		{"mkdir root", all, mkdir("/"), backends.ErrExist},
		{"mkdir root without mkdir", PermList, mkdir("/"), backends.ErrExist},
		{"delete", PermDelete, del("/file"), nil},
		{"delete without delete", all &^ PermDelete, del("/file"), backends.ErrPermission},
		{"delete dir", PermDelete, del("/dir"), backends.ErrIsDir},
		{"delete missing", PermDelete, del("/nope"), backends.ErrNotExist},
		{"delete root", all, del("/"), backends.ErrPermission},
		{"delete root via dotdot", all, del("/dir/../.."), backends.ErrPermission},
		{"rmdir", PermDelete, rmdir("/empty"), nil},
		{"rmdir without delete", all &^ PermDelete, rmdir("/empty"), backends.ErrPermission},
		{"rmdir not empty", PermDelete, rmdir("/dir"), backends.ErrNotEmpty},
		{"rmdir file", PermDelete, rmdir("/file"), backends.ErrNotDir},
		{"rmdir root", all, rmdir("/"), backends.ErrPermission},
		{"rename", PermRename, rename("/file", "/new"), nil},
		{"rename without rename", all &^ PermRename, rename("/file", "/new"), backends.ErrPermission},
		{"rename onto file without overwrite", PermRename, rename("/file", "/file2"), backends.ErrPermission},
		{"rename onto file with overwrite", PermRename | PermOverwrite, rename("/file", "/file2"), nil},
		{"rename onto dir", all, rename("/file", "/dir"), backends.ErrExist},
		{"rename missing", PermRename, rename("/nope", "/new"), backends.ErrNotExist},
		{"rename root", all, rename("/", "/new"), backends.ErrPermission},
		{"rename onto root", all, rename("/file", "/"), backends.ErrPermission},
		{"rename onto root via dotdot", all, rename("/file", "/dir/.."), backends.ErrPermission},
		{"rename dir into itself", all, rename("/dir", "/dir/sub"), backends.ErrInvalid},
		{"rename onto itself", PermRename, rename("/file", "/./file"), nil},
		{"rename hostile", all, rename("/file", "/a\nb"), backends.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			be := newTestBackend()
			b := testBucket(t, be, "")
			seed(t, b)
			err := tc.op(session(t, b, "u", tc.perm))
			wantErr(t, tc.name, err, tc.want)
			for _, k := range b.touched() {
				if err := confined("u", k); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestDeniedTouchesNothing checks that a missing permission is decided
// before storage is asked anything, so denials leak nothing (not even
// whether a file exists) and cost nothing.
func TestDeniedTouchesNothing(t *testing.T) {
	ctx := context.Background()
	be := newTestBackend()
	b := testBucket(t, be, "")
	seed(t, b)
	before := len(b.touched())
	s := session(t, b, "u", 0)
	ops := map[string]error{}
	_, ops["stat"] = s.Stat(ctx, "/file")
	_, ops["list"] = s.List(ctx, "/")
	_, ops["open"] = s.Open(ctx, "/file", 0)
	_, ops["create"] = s.Create(ctx, "/file", 0, backends.CreateOptions{})
	ops["mkdir"] = s.Mkdir(ctx, "/new")
	ops["delete"] = s.Delete(ctx, "/file")
	ops["rmdir"] = s.Rmdir(ctx, "/empty")
	ops["rename"] = s.Rename(ctx, "/file", "/new")
	for op, err := range ops {
		wantErr(t, op, err, backends.ErrPermission)
	}
	if got := b.touched()[before:]; len(got) != 0 {
		t.Fatalf("denied operations touched %q", got)
	}
}

func TestSessionResults(t *testing.T) {
	ctx := context.Background()
	be := newTestBackend()
	b := testBucket(t, be, "")
	seed(t, b)
	s := session(t, b, "u", PermAll)

	names, err := listNames(t, s, "/")
	wantErr(t, "list", err, nil)
	if want := []string{"dir/", "empty/", "file", "file2"}; !slices.Equal(names, want) {
		t.Errorf("list / = %q, want %q", names, want)
	}
	e, err := s.Stat(ctx, "/dir/../file")
	wantErr(t, "stat", err, nil)
	if e.Name != "file" || e.Size != 5 || e.IsDir {
		t.Errorf("stat /file = %+v", e)
	}
	e, err = s.Stat(ctx, "/")
	wantErr(t, "stat /", err, nil)
	if e.Name != "/" || !e.IsDir || e.ModTime.IsZero() {
		t.Errorf("stat / = %+v", e)
	}
	if data, err := download(s, "/file", 2); err != nil || data != "llo" {
		t.Errorf("download from 2 = %q, %v", data, err)
	}
	if _, err := download(s, "/file", -1); !errors.Is(err, backends.ErrInvalid) {
		t.Errorf("negative offset: %v", err)
	}
	wantErr(t, "rename", s.Rename(ctx, "/file", "/dir/moved"), nil)
	if data, ok := get(t, b, "u/dir/moved"); !ok || data != "hello" {
		t.Errorf("renamed object = %q, %v", data, ok)
	}
	wantErr(t, "rename onto itself", s.Rename(ctx, "/file2", "/file2"), nil)
	if _, ok := get(t, b, "u/file2"); !ok {
		t.Error("rename onto itself lost the file")
	}
	wantErr(t, "mkdir", s.Mkdir(ctx, "/a/b"), nil)
	if e, err := b.Stat(ctx, "u/a/b"); err != nil || !e.IsDir {
		t.Errorf("mkdir made %+v, %v", e, err)
	}
}

// TestEmptyPrefixRoot checks that a user whose prefix does not exist yet
// can still CWD to and list its root.
func TestEmptyPrefixRoot(t *testing.T) {
	ctx := context.Background()
	b := testBucket(t, newTestBackend(), "")
	s := session(t, b, "nobody/yet", PermAll)
	e, err := s.Stat(ctx, "/")
	if err != nil || !e.IsDir {
		t.Fatalf("stat / = %+v, %v", e, err)
	}
	names, err := listNames(t, s, "/")
	if err != nil || len(names) != 0 {
		t.Fatalf("list / = %q, %v", names, err)
	}
}

func TestErrorsNameVirtualPath(t *testing.T) {
	b := testBucket(t, newTestBackend(), "")
	s := session(t, b, "secret-prefix", PermAll)
	_, err := s.Open(context.Background(), "/missing", 0)
	if err == nil || !strings.Contains(err.Error(), "/missing") {
		t.Fatalf("error %v does not name the virtual path", err)
	}
	_, err = s.Stat(context.Background(), "/a\r\nb")
	if err == nil || strings.ContainsAny(err.Error(), "\r\n") {
		t.Fatalf("error %q carries the client's control characters", err)
	}
}

func TestNewSessionValidation(t *testing.T) {
	b := testBucket(t, newTestBackend(), "")
	tests := []struct {
		name   string
		home   string
		mounts []Mount
	}{
		{"no mounts", "/", nil},
		{"unclean path", "/", []Mount{{Path: "/a/", Bucket: b}}},
		{"relative path", "/", []Mount{{Path: "a", Bucket: b}}},
		{"unnormalised prefix", "/", []Mount{{Path: "/", Prefix: "a/", Bucket: b}}},
		{"climbing prefix", "/", []Mount{{Path: "/", Prefix: "../a", Bucket: b}}},
		{"no bucket", "/", []Mount{{Path: "/"}}},
		{"duplicate", "/", []Mount{{Path: "/a", Bucket: b}, {Path: "/a", Bucket: b}}},
		{"home outside mounts", "/c", []Mount{{Path: "/a", Bucket: b}}},
		{"hostile home", "/a\x00", []Mount{{Path: "/", Bucket: b}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewSession(tc.home, tc.mounts...); !errors.Is(err, backends.ErrInvalid) {
				t.Fatalf("NewSession = %v, want ErrInvalid", err)
			}
		})
	}
}
