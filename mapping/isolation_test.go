package mapping

import (
	"context"
	"io"
	"net/netip"
	"strings"
	"sync"
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

// fuzzWorld is the shared state of FuzzIsolation: two users on one
// bucket, one of them with a second bucket too, built once per process
// (logins are bypassed: a bcrypt check per input would slow the fuzzer a
// hundredfold, and authentication is not what is fuzzed).
type fuzzWorld struct {
	shared, other *recordingBucket
	users         *Users
	// allowed lists, per user, the bucket and prefixes they may touch.
	allowed map[string]map[*recordingBucket][]string
}

var fuzzWorldOnce = sync.OnceValues(func() (*fuzzWorld, error) {
	be := newRecordingBackend(memory.New())
	w := &fuzzWorld{}
	var err error
	if w.shared, err = be.bucket("shared"); err != nil {
		return nil, err
	}
	if w.other, err = be.bucket("other"); err != nil {
		return nil, err
	}
	hash, err := HashPassword("fuzz")
	if err != nil {
		return nil, err
	}
	w.users, err = New([]UserConfig{
		{Name: "alice", PasswordHash: hash, Backend: "mem", Bucket: "shared", Prefix: "alice", Permissions: []string{"*"}},
		{Name: "bob", PasswordHash: hash, Home: "/in", Mounts: []MountConfig{
			{Path: "/in", Backend: "mem", Bucket: "shared", Prefix: "bob/in", Permissions: []string{"*"}},
			{Path: "/out/reports", Backend: "mem", Bucket: "shared", Prefix: "bob/out", Permissions: []string{"list", "download", "rename"}},
			{Path: "/archive", Backend: "mem", Bucket: "other", Prefix: "bob", Permissions: []string{"*"}},
		}},
	}, map[string]backends.Backend{"mem": be})
	if err != nil {
		return nil, err
	}
	w.allowed = map[string]map[*recordingBucket][]string{
		"alice": {w.shared: {"alice"}},
		"bob":   {w.shared: {"bob/in", "bob/out"}, w.other: {"bob"}},
	}
	seeds := map[*recordingBucket][]string{
		w.shared: {"alice/mine", "alice/d/x", "bob/in/mine", "bob/out/r.csv", "alicex/s", "bobx/s", "etc/passwd", "x"},
		w.other:  {"bob/mine", "alice/mine", "x"},
	}
	for b, keys := range seeds {
		for _, k := range keys {
			owner, _, _ := strings.Cut(k, "/")
			if err := putErr(b, k, "seed-"+owner); err != nil {
				return nil, err
			}
		}
	}
	return w, nil
})

func putErr(b backends.Bucket, key, data string) error {
	w, err := b.Create(context.Background(), key, backends.CreateOptions{})
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, data); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

// FuzzIsolation runs every operation as alice or bob, from any working
// directory, on any path, and checks that storage is asked only about
// keys under that user's own prefixes and that nothing of the other
// user's comes back.
func FuzzIsolation(f *testing.F) {
	for _, p := range hostilePaths {
		f.Add(uint8(0), "/", p)
		f.Add(uint8(1), "/in", p)
	}
	f.Add(uint8(1), "/out/reports", "../../archive/../in/x")
	f.Add(uint8(1), "/archive", "../out/reports/r.csv")
	f.Add(uint8(0), "/d", "../../bob/in/mine")
	f.Fuzz(func(t *testing.T, who uint8, cwd, arg string) {
		w, err := fuzzWorldOnce()
		if err != nil {
			t.Fatal(err)
		}
		name, other := "alice", "bob"
		if who%2 == 1 {
			name, other = "bob", "alice"
		}
		usr := w.users.set.Load().byName[name]
		s := w.users.open(usr, netip.Addr{}, nil)
		defer s.Close()
		startShared, startOther := len(w.shared.touched()), len(w.other.touched())

		fuzzOps(t, s, ftpJoin(cwd, arg), name, other)

		for b, start := range map[*recordingBucket]int{w.shared: startShared, w.other: startOther} {
			for _, k := range b.touched()[start:] {
				if !underAny(k, w.allowed[name][b]) {
					t.Fatalf("%s's operations on %q touched key %q", name, ftpJoin(cwd, arg), k)
				}
			}
		}
	})
}

// fuzzOps runs each operation on p as user name; the read ones must
// not return anything written by, or seeded for, other.
func fuzzOps(t *testing.T, s *Session, p, name, other string) {
	ctx := context.Background()
	leak := func(data string) bool {
		return strings.Contains(data, "seed-"+other) || strings.Contains(data, "by-"+other) ||
			strings.Contains(data, "seed-etc") || strings.Contains(data, "seed-x")
	}
	if data, err := download(s, p, 0); err == nil && leak(data) {
		t.Fatalf("%s read %q from %q", name, data, p)
	}
	_, _ = s.Stat(ctx, p)
	if l, err := s.List(ctx, p); err == nil {
		for {
			page, err := l.Next(ctx)
			if err != nil {
				break
			}
			for _, e := range page {
				if leak(e.Name) {
					t.Fatalf("%s listed %q in %q", name, e.Name, p)
				}
			}
		}
		l.Close()
	}
	_ = upload(s, p, 0, "by-"+name)
	_ = upload(s, p, 2, "by-"+name)
	_ = s.Mkdir(ctx, p)
	_ = s.Rename(ctx, p, s.home+"/fuzz-stolen")
	if data, err := download(s, s.home+"/fuzz-stolen", 0); err == nil && leak(data) {
		t.Fatalf("%s renamed %q and got %q", name, p, data)
	}
	_ = s.Rename(ctx, s.home+"/fuzz-stolen", p)
	_ = s.Delete(ctx, p)
	_ = s.Rmdir(ctx, p)
}

func underAny(key string, prefixes []string) bool {
	for _, p := range prefixes {
		if key == p || strings.HasPrefix(key, p+"/") {
			return true
		}
	}
	return false
}
