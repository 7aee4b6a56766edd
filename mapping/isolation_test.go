package mapping

import (
	"context"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/memory"
	"github.com/ftpsbridge/ftpsbridge/ftps"
)

// hostilePaths are client paths that try to reach outside a user's prefix.
var hostilePaths = []string{
	"../../etc/passwd",
	"/../../etc/passwd",
	"/..",
	"..",
	"/../bob/secret",
	"../bob/secret",
	"/a/../../b",
	"/a/../../bob/secret",
	`..\..\x`,
	`..\bob\secret`,
	"/..\\bob/secret",
	"a\x00b",
	"/../bob/secret\x00.txt",
	"/..\r\n/bob/secret",
	"%2e%2e/x",
	"%2e%2e/bob/secret",
	"/..%2fbob%2fsecret",
	"//x",
	"//bob/secret",
	"/./x/.",
	"/./../bob/./secret/.",
	"/.../bob/secret",
	"/\u2215bob\u2215secret",
	"/../bob\u2215secret",
	"/../ｂob/secret",
	"/日本語/../../bob/secret",
	strings.Repeat("../", 2000) + "bob/secret",
	"/" + strings.Repeat("x/", 1000) + strings.Repeat("../", 1002) + "bob/secret",
	"/" + strings.Repeat("long", 300),
	"/bob/secret",
	"bob",
	"/",
	"",
}

func TestResolveConfined(t *testing.T) {
	for _, prefix := range []string{"alice", "bob"} {
		m := &Mount{Path: "/", Prefix: prefix}
		for _, cwd := range []string{"/", "/sub", "/a/b/c"} {
			for _, p := range hostilePaths {
				t.Run(prefix+" "+cwd+" "+displayPath(p), func(t *testing.T) {
					key, err := m.Key(ftpJoin(cwd, p))
					if err != nil {
						wantErr(t, "Key", err, backends.ErrInvalid)
						return
					}
					checkConfined(t, prefix, key)
				})
			}
		}
	}
}

// TestIsolation logs alice and bob in over one bucket and has alice try
// every operation on every hostile path. None may read, list, change or
// even ask storage about anything outside alice/.
func TestIsolation(t *testing.T) {
	ctx := context.Background()
	be := newRecordingBackend(memory.New())
	shared := testBucket(t, be, "shared")
	all := []string{"*"}
	u := testUsers(t, be,
		UserConfig{Name: "alice", PasswordHash: testBcrypt(t, "a"), Backend: "mem", Bucket: "shared",
			Prefix: "alice/", Permissions: all},
		UserConfig{Name: "bob", PasswordHash: testBcrypt(t, "b"), Backend: "mem", Bucket: "shared",
			Prefix: "bob/", Permissions: all})
	bobObjects := map[string]string{
		"bob/secret":     "bob-secret",
		"bob/dir/x":      "bob-x",
		"bob/b":          "bob-b",
		"etc/passwd":     "root-passwd",
		"alicex/sibling": "sibling",
		"x":              "bucket-root-x",
	}
	for k, v := range bobObjects {
		put(t, shared, k, v)
	}
	put(t, shared, "alice/mine", "alice-mine")
	alice, err := login(u, "alice", "a")
	if err != nil {
		t.Fatal(err)
	}
	start := len(shared.touched())

	for _, p := range hostilePaths {
		t.Run(displayPath(p), func(t *testing.T) {
			aliceTries(t, ctx, alice, p)
		})
	}

	for _, k := range shared.touched()[start:] {
		if err := confined("alice", k); err != nil {
			t.Errorf("alice's operations touched a bad key: %v", err)
		}
	}
	for k, v := range bobObjects {
		if got, ok := get(t, shared, k); !ok || got != v {
			t.Errorf("%s is now %q (exists %v), want %q", k, got, ok, v)
		}
	}
	// Bob still sees exactly his own files.
	bob, err := login(u, "bob", "b")
	if err != nil {
		t.Fatal(err)
	}
	names, err := listNames(t, bob, "/")
	if err != nil || strings.Join(names, " ") != "b dir/ secret" {
		t.Errorf("bob lists %q, %v", names, err)
	}
}

// aliceTries runs every operation on p and checks that nothing of anyone
// else's comes back.
func aliceTries(t *testing.T, ctx context.Context, alice ftps.FileSystem, p string) {
	t.Helper()
	foreign := []string{"bob-", "root-passwd", "sibling", "bucket-root-x"}
	leaks := func(s string) bool {
		for _, f := range foreign {
			if strings.Contains(s, f) {
				return true
			}
		}
		return false
	}
	if data, err := download(alice, p, 0); err == nil && leaks(data) {
		t.Errorf("download %q read %q", p, data)
	}
	// Stat and List can only show what lies under the keys they were given,
	// which TestIsolation checks are all in alice/.
	_, _ = alice.Stat(ctx, p)
	_, _ = listNames(t, alice, p)
	_ = upload(alice, p, 0, "alice-was-here")
	_ = upload(alice, p, 3, "appended")
	_ = alice.Mkdir(ctx, p)
	_ = alice.Rename(ctx, "/mine", p)
	_ = alice.Rename(ctx, p, "/stolen")
	if data, err := download(alice, "/stolen", 0); err == nil && leaks(data) {
		t.Errorf("rename %q to /stolen got %q", p, data)
	}
	_ = alice.Delete(ctx, p)
	_ = alice.Rmdir(ctx, p)
	if err := upload(alice, "/mine", 0, "alice-mine"); err != nil {
		t.Fatalf("alice cannot write her own file: %v", err)
	}
}
