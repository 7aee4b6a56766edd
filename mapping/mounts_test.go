package mapping

import (
	"context"
	"slices"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// multiMount builds a session with a root mount and two mounts below it:
// /inbound on another bucket, /pub/docs on the root mount's bucket.
func multiMount(t *testing.T) (s *Session, main, in *recordingBucket) {
	be := newTestBackend()
	main, in = testBucket(t, be, "main"), testBucket(t, be, "in")
	s, err := NewSession("/inbound",
		Mount{Path: "/", Prefix: "home", Perm: PermAll, Bucket: main},
		Mount{Path: "/inbound", Prefix: "drop", Perm: PermUpload | PermList | PermRename, Bucket: in},
		Mount{Path: "/pub/docs", Prefix: "docs", Perm: PermList | PermDownload | PermRename, Bucket: main},
	)
	if err != nil {
		t.Fatal(err)
	}
	return s, main, in
}

func TestMountListing(t *testing.T) {
	s, main, in := multiMount(t)
	put(t, main, "home/a", "a")
	put(t, main, "home/inbound", "shadowed by the mount")
	put(t, main, "home/j", "j")
	put(t, main, "home/q", "q")
	put(t, main, "home/z", "z")
	put(t, main, "docs/readme", "r")
	put(t, in, "drop/up.csv", "u")
	tests := []struct {
		dir  string
		want []string
	}{
		{"/", []string{"a", "inbound/", "j", "pub/", "q", "z"}},
		{"/pub", []string{"docs/"}},
		{"/pub/docs", []string{"readme"}},
		{"/inbound", []string{"up.csv"}},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			got, err := listNames(t, s, tc.dir)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("list %s = %q, %v; want %q", tc.dir, got, err, tc.want)
			}
		})
	}
	if s.Home() != "/inbound" {
		t.Errorf("Home = %q", s.Home())
	}
}

func TestMountPointsAreFixed(t *testing.T) {
	ctx := context.Background()
	s, main, _ := multiMount(t)
	put(t, main, "home/f", "f")
	// Permissions are checked first: /inbound grants no download and
	// /pub/docs no upload.
	tests := []struct {
		path         string
		open, create error
	}{
		{"/", backends.ErrIsDir, backends.ErrIsDir},
		{"/inbound", backends.ErrPermission, backends.ErrIsDir},
		{"/pub", backends.ErrIsDir, backends.ErrIsDir},
		{"/pub/docs", backends.ErrIsDir, backends.ErrPermission},
	}
	for _, tc := range tests {
		p := tc.path
		t.Run(p, func(t *testing.T) {
			e, err := s.Stat(ctx, p)
			if err != nil || !e.IsDir {
				t.Errorf("stat = %+v, %v", e, err)
			}
			wantErr(t, "mkdir", s.Mkdir(ctx, p), backends.ErrExist)
			wantErr(t, "delete", s.Delete(ctx, p), backends.ErrPermission)
			wantErr(t, "rmdir", s.Rmdir(ctx, p), backends.ErrPermission)
			wantErr(t, "rename from", s.Rename(ctx, p, "/x"), backends.ErrPermission)
			wantErr(t, "rename onto", s.Rename(ctx, "/f", p), backends.ErrPermission)
			_, err = s.Open(ctx, p, 0)
			wantErr(t, "open", err, tc.open)
			_, err = s.Create(ctx, p, 0, backends.CreateOptions{})
			wantErr(t, "create", err, tc.create)
		})
	}
}

func TestMountPermissionsAndRename(t *testing.T) {
	ctx := context.Background()
	s, main, in := multiMount(t)
	put(t, main, "home/f", "f")
	put(t, main, "docs/d", "d")
	put(t, in, "drop/up", "u")

	// Each mount has its own permissions: /inbound allows no download.
	_, err := s.Open(ctx, "/inbound/up", 0)
	wantErr(t, "download from upload-only mount", err, backends.ErrPermission)
	wantErr(t, "upload", upload(s, "/inbound/new", 0, "n"), nil)
	if data, _ := get(t, in, "drop/new"); data != "n" {
		t.Errorf("upload stored %q", data)
	}
	wantErr(t, "upload to read-only mount", upload(s, "/pub/docs/x", 0, "x"), backends.ErrPermission)

	// The same bucket: rename works across mounts, keys stay in prefixes.
	wantErr(t, "rename across mounts on one bucket", s.Rename(ctx, "/pub/docs/d", "/moved"), nil)
	if data, _ := get(t, main, "home/moved"); data != "d" {
		t.Errorf("rename stored %q", data)
	}
	// Another bucket: no rename.
	wantErr(t, "rename across buckets", s.Rename(ctx, "/f", "/inbound/f"), backends.ErrCrossMount)
	wantErr(t, "rename across buckets", s.Rename(ctx, "/inbound/up", "/g"), backends.ErrUnsupported)
	// Rename needs the permission on both sides.
	wantErr(t, "rename needs both", s.Rename(ctx, "/f", "/pub/docs/f"), nil)
	s2, err := NewSession("/",
		Mount{Path: "/", Prefix: "home", Perm: PermAll &^ PermRename, Bucket: main},
		Mount{Path: "/x", Prefix: "x", Perm: PermAll, Bucket: main})
	wantErr(t, "session", err, nil)
	put(t, main, "x/a", "a")
	wantErr(t, "rename from denied mount", s2.Rename(ctx, "/g", "/x/g"), backends.ErrPermission)
	wantErr(t, "rename to denied mount", s2.Rename(ctx, "/x/a", "/a"), backends.ErrPermission)
}

func TestNoRootMount(t *testing.T) {
	ctx := context.Background()
	be := newTestBackend()
	b := testBucket(t, be, "")
	s, err := NewSession("",
		Mount{Path: "/inbound", Prefix: "in", Perm: PermAll, Bucket: b},
		Mount{Path: "/outbound", Prefix: "out", Perm: PermList | PermDownload, Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	names, err := listNames(t, s, "/")
	if want := []string{"inbound/", "outbound/"}; err != nil || !slices.Equal(names, want) {
		t.Fatalf("list / = %q, %v; want %q", names, err, want)
	}
	if e, err := s.Stat(ctx, "/"); err != nil || !e.IsDir {
		t.Fatalf("stat / = %+v, %v", e, err)
	}
	// Outside the mounts nothing exists and nothing can be made.
	_, err = s.Stat(ctx, "/other")
	wantErr(t, "stat outside", err, backends.ErrNotExist)
	_, err = s.List(ctx, "/other")
	wantErr(t, "list outside", err, backends.ErrNotExist)
	_, err = s.Open(ctx, "/other", 0)
	wantErr(t, "open outside", err, backends.ErrNotExist)
	wantErr(t, "create outside", upload(s, "/other", 0, "x"), backends.ErrPermission)
	wantErr(t, "mkdir outside", s.Mkdir(ctx, "/other"), backends.ErrPermission)
	wantErr(t, "delete outside", s.Delete(ctx, "/other"), backends.ErrPermission)
	wantErr(t, "rename outside", s.Rename(ctx, "/inbound/a", "/a"), backends.ErrPermission)
	wantErr(t, "create at /", upload(s, "/", 0, "x"), backends.ErrIsDir)
	if k := b.touched(); len(k) != 0 {
		t.Fatalf("operations outside the mounts touched %q", k)
	}
}

// TestUserMounts configures the partner drop box of the README through
// Users: /inbound write-only into one bucket, /outbound read-only from
// another, nothing at the root but the two mount points.
func TestUserMounts(t *testing.T) {
	ctx := context.Background()
	be := newTestBackend()
	u := testUsers(t, be, UserConfig{Name: "acme", PasswordHash: testBcrypt(t, "pw"), Home: "/outbound",
		Mounts: []MountConfig{
			{Path: "/inbound", Backend: "mem", Bucket: "partner-drop", Prefix: "acme/", Permissions: []string{"upload"}},
			{Path: "/outbound", Backend: "mem", Bucket: "reports", Prefix: "acme/", Permissions: []string{"list", "download"}},
		}})
	drop, reports := testBucket(t, be, "partner-drop"), testBucket(t, be, "reports")
	put(t, reports, "acme/2027-01.csv", "report")
	put(t, reports, "other/2027-01.csv", "not acme's")
	fs, err := login(u, "acme", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if fs.Home() != "/outbound" {
		t.Errorf("home = %q", fs.Home())
	}
	if names, err := listNames(t, fs, "/"); err != nil || !slices.Equal(names, []string{"inbound/", "outbound/"}) {
		t.Fatalf("root lists %q, %v", names, err)
	}
	if names, err := listNames(t, fs, "/outbound"); err != nil || !slices.Equal(names, []string{"2027-01.csv"}) {
		t.Fatalf("/outbound lists %q, %v", names, err)
	}
	if data, err := download(fs, "/outbound/2027-01.csv", 0); err != nil || data != "report" {
		t.Fatalf("download = %q, %v", data, err)
	}
	wantErr(t, "upload", upload(fs, "/inbound/orders.xml", 0, "<orders/>"), nil)
	if data, _ := get(t, drop, "acme/orders.xml"); data != "<orders/>" {
		t.Fatalf("upload stored %q", data)
	}
	_, err = listNames(t, fs, "/inbound")
	wantErr(t, "list write-only mount", err, backends.ErrPermission)
	_, err = fs.Open(ctx, "/inbound/orders.xml", 0)
	wantErr(t, "download from write-only mount", err, backends.ErrPermission)
	wantErr(t, "overwrite without permission", upload(fs, "/inbound/orders.xml", 0, "x"), backends.ErrPermission)
	wantErr(t, "upload to read-only mount", upload(fs, "/outbound/x.csv", 0, "x"), backends.ErrPermission)
	wantErr(t, "upload at the root", upload(fs, "/x.csv", 0, "x"), backends.ErrPermission)
	wantErr(t, "delete from read-only mount", fs.Delete(ctx, "/outbound/2027-01.csv"), backends.ErrPermission)
	wantErr(t, "rename across mounts", fs.Rename(ctx, "/inbound/orders.xml", "/outbound/orders.xml"), backends.ErrPermission)
}
