package local

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/afs"
	"github.com/ftpsbridge/ftpsbridge/backends/backendtest"
)

var suiteOptions = backendtest.Options{ListPageSize: afs.DefaultListPageSize, RenamesDirectories: true}

// newBucket opens bucket name of a fresh Root and returns it with Root's
// path on disk.
func newBucket(t *testing.T, name string) (backends.Bucket, string) {
	t.Helper()
	root := t.TempDir()
	be, err := New(Config{Root: root})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { be.Close() })
	b, err := be.Bucket(name)
	if err != nil {
		t.Fatalf("Bucket(%q): %v", name, err)
	}
	return b, root
}

func TestConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Bucket {
		b, _ := newBucket(t, "")
		return b
	}, suiteOptions)
}

// TestConformanceNamedBucket runs the suite on a bucket whose directory
// does not exist yet, which exercises its creation on first write.
func TestConformanceNamedBucket(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Bucket {
		b, _ := newBucket(t, "named")
		return b
	}, suiteOptions)
}

func TestConfigValidate(t *testing.T) {
	if err := (&Config{}).Validate(); !errors.Is(err, backends.ErrInvalid) {
		t.Errorf("Validate of an empty Config = %v, want ErrInvalid", err)
	}
	if err := (&Config{Root: "/srv/ftp"}).Validate(); err != nil {
		t.Errorf("Validate with a root: %v", err)
	}
	if _, err := New(Config{}); err == nil {
		t.Error("New without a root succeeded")
	}
}

func TestRootCreated(t *testing.T) {
	root := filepath.Join(t.TempDir(), "not", "yet")
	be, err := New(Config{Root: root})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer be.Close()
	info, err := os.Stat(root)
	if err != nil || !info.IsDir() {
		t.Fatalf("Root not created: %v", err)
	}
	if perm := info.Mode().Perm(); perm&^rootPerm != 0 {
		t.Errorf("Root mode %v, want at most %v", perm, rootPerm)
	}
}

func TestRootIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if be, err := New(Config{Root: file}); err == nil {
		be.Close()
		t.Error("New with a file as Root succeeded")
	}
}

func TestBucketNames(t *testing.T) {
	be, err := New(Config{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	for _, name := range []string{".", "..", "a/b", "/a", "a/", `a\b`, "a\x00b", backends.TempPrefix + "x"} {
		if _, err := be.Bucket(name); !errors.Is(err, backends.ErrInvalid) {
			t.Errorf("Bucket(%q) = %v, want ErrInvalid", name, err)
		}
	}
	for _, name := range []string{"", "alice", "with space", "-dash", "...", "日本"} {
		if _, err := be.Bucket(name); err != nil {
			t.Errorf("Bucket(%q): %v", name, err)
		}
	}
}

// TestBucketsAreConfined checks a bucket is a sub-directory of Root that
// cannot reach its siblings, and that reading does not create it.
func TestBucketsAreConfined(t *testing.T) {
	b, root := newBucket(t, "alice")
	mustWriteFile(t, filepath.Join(root, "bob", "secret"), "bob's")
	if _, err := b.Stat(t.Context(), "secret"); !errors.Is(err, backends.ErrNotExist) {
		t.Errorf("alice sees bob's file: %v", err)
	}
	listNames(t, b, "")
	if _, err := os.Stat(filepath.Join(root, "alice")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("reading a missing bucket created its directory: %v", err)
	}
	putString(t, b, "mine", "alice's")
	if got := readString(t, filepath.Join(root, "alice", "mine")); got != "alice's" {
		t.Errorf("Root/alice/mine = %q", got)
	}
}

// TestErrorsHideDiskPaths checks error messages name the key, not Root.
func TestErrorsHideDiskPaths(t *testing.T) {
	b, root := newBucket(t, "")
	putString(t, b, "file", "x")
	errs := []error{
		func() error { _, err := b.Stat(t.Context(), "missing/key"); return err }(),
		func() error { _, err := b.Open(t.Context(), "file/below", 0); return err }(),
		b.Rmdir(t.Context(), "file"),
		b.Mkdir(t.Context(), "file/sub"),
		b.Rename(t.Context(), "nope", "x"),
	}
	for _, err := range errs {
		if err == nil {
			t.Fatal("expected an error")
		}
		if strings.Contains(err.Error(), root) {
			t.Errorf("error %q contains the disk path %q", err, root)
		}
	}
}
