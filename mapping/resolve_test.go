package mapping

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/memory"
)

func TestCleanPath(t *testing.T) {
	long := "/" + strings.Repeat("a/", MaxPathLen/2)
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{"root", "/", "/", false},
		{"empty", "", "/", false},
		{"file", "/a/b.txt", "/a/b.txt", false},
		{"relative", "a/b", "/a/b", false},
		{"dotdot above root", "/..", "/", false},
		{"dotdot chain", "../../etc/passwd", "/etc/passwd", false},
		{"dotdot inside", "/a/../../b", "/b", false},
		{"double slash", "//x", "/x", false},
		{"dots", "/./x/.", "/x", false},
		{"trailing slash", "/x/", "/x", false},
		{"percent is literal", "%2e%2e/x", "/%2e%2e/x", false},
		{"utf8", "/日本/ファイル.txt", "/日本/ファイル.txt", false},
		{"backslash", `..\..\x`, "", true},
		{"nul", "a\x00b", "", true},
		{"cr", "/a\rb", "", true},
		{"lf", "/a\nb", "", true},
		{"tab", "/a\tb", "", true},
		{"del", "/a\x7fb", "", true},
		{"c1 control", "/a\u0085b", "", true},
		{"invalid utf8", "/a\xffb", "", true},
		{"too long", long, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CleanPath(tc.in)
			if tc.wantErr {
				if !errors.Is(err, backends.ErrInvalid) {
					t.Fatalf("CleanPath(%q) = %q, %v; want ErrInvalid", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("CleanPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestNormalizePrefix(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"", "", false},
		{"/", "", false},
		{"demo", "demo", false},
		{"demo/", "demo", false},
		{"/demo/", "demo", false},
		{"a/b/c", "a/b/c", false},
		{"//demo", "", true},
		{"demo//", "", true},
		{"a//b", "", true},
		{".", "", true},
		{"..", "", true},
		{"a/../b", "", true},
		{"./a", "", true},
		{`a\b`, "", true},
		{"a\x00", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := NormalizePrefix(tc.in)
			if tc.wantErr {
				if !errors.Is(err, backends.ErrInvalid) {
					t.Fatalf("NormalizePrefix(%q) = %q, %v; want ErrInvalid", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("NormalizePrefix(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestMountKey(t *testing.T) {
	tests := []struct {
		name, mount, prefix, in, want string
		wantErr                       bool
	}{
		{"root of prefix", "/", "alice", "/", "alice", false},
		{"root of empty prefix", "/", "", "/", "", false},
		{"file", "/", "alice", "/a/b.txt", "alice/a/b.txt", false},
		{"file empty prefix", "/", "", "/a/b.txt", "a/b.txt", false},
		{"climb", "/", "alice", "/../bob/x", "alice/bob/x", false},
		{"deep prefix", "/", "t/alice", "/x", "t/alice/x", false},
		{"sub mount root", "/in", "q", "/in", "q", false},
		{"sub mount file", "/in", "q", "/in/f", "q/f", false},
		{"sub mount climb", "/in", "q", "/in/../in/f", "q/f", false},
		{"outside sub mount", "/in", "q", "/out/f", "", true},
		{"sibling with same start", "/in", "q", "/inbox", "", true},
		{"climb out of sub mount", "/in", "q", "/in/../f", "", true},
		{"hostile", "/", "alice", "a\x00b", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &Mount{Path: tc.mount, Prefix: tc.prefix}
			got, err := m.Key(tc.in)
			if tc.wantErr {
				if !errors.Is(err, backends.ErrInvalid) {
					t.Fatalf("Key(%q) = %q, %v; want ErrInvalid", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Key(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

// ftpJoin joins a client argument to the working directory the way an FTP
// front end does.
func ftpJoin(cwd, arg string) string {
	if strings.HasPrefix(arg, "/") {
		return arg
	}
	return path.Join("/", cwd, arg)
}

// checkConfined fails unless key is the prefix root or lies below it, and
// is a well-formed key.
func checkConfined(t *testing.T, prefix, key string) {
	t.Helper()
	if err := confined(prefix, key); err != nil {
		t.Fatal(err)
	}
}

func confined(prefix, key string) error {
	if prefix != "" && key != prefix && !strings.HasPrefix(key, prefix+"/") {
		return fmt.Errorf("key %q escapes prefix %q", key, prefix)
	}
	if key == "" {
		return nil
	}
	for _, el := range strings.Split(key, "/") {
		if el == "" || el == "." || el == ".." {
			return fmt.Errorf("key %q has element %q", key, el)
		}
	}
	return nil
}

var fuzzBucket, _ = memory.New().Bucket("")

func FuzzResolve(f *testing.F) {
	f.Add("alice", "/", "../../etc/passwd")
	f.Add("alice/", "/sub", "..")
	f.Add("/t/alice/", "/a/b", "../../../x")
	f.Add("", "/", "/..")
	f.Add("bob", "/", `..\..\x`)
	f.Add("bob", "/", "%2e%2e/x")
	f.Add("bob", "//", "/./x/.")
	f.Add("a", "/日本", "a\x00b")
	f.Add("in", "/in", "../../x")
	f.Add("", "/in/..", "in")
	f.Fuzz(func(t *testing.T, prefix, cwd, arg string) {
		norm, err := NormalizePrefix(prefix)
		if err != nil {
			return
		}
		vpath := ftpJoin(cwd, arg)
		m := &Mount{Path: "/", Prefix: norm, Bucket: fuzzBucket}
		key, err := m.Key(vpath)
		if err != nil {
			if !errors.Is(err, backends.ErrInvalid) {
				t.Fatalf("Key error %v does not wrap ErrInvalid", err)
			}
			return
		}
		checkConfined(t, norm, key)

		// The same path through a session whose mounts nest: the key must
		// lie in the prefix of the mount the path resolved to.
		s, err := NewSession("/", *m, Mount{Path: "/in", Prefix: "inbound", Bucket: m.Bucket})
		if err != nil {
			t.Fatal(err)
		}
		tg, err := s.resolve(vpath)
		if err != nil {
			t.Fatalf("session refused a path Key accepted: %v", err)
		}
		checkConfined(t, tg.mount.Prefix, tg.key)
	})
}
