//go:build unix

package local

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// escapeFixture lays out, beside Root, an outside directory with a secret,
// and inside the bucket links that point at it.
func escapeFixture(t *testing.T, bucketName string) (b backends.Bucket, root, outside string) {
	t.Helper()
	b, root = newBucket(t, bucketName)
	outside = t.TempDir()
	mustWriteFile(t, filepath.Join(outside, "secret"), "outside secret")
	dir := filepath.Join(root, bucketName)
	mustWriteFile(t, filepath.Join(dir, "plain"), "plain")
	links := map[string]string{
		"abs-file":    filepath.Join(outside, "secret"),
		"abs-dir":     outside,
		"rel-dir":     relTo(t, dir, outside),
		"rel-missing": relTo(t, dir, filepath.Join(outside, "nope")),
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return b, root, outside
}

func relTo(t *testing.T, from, to string) string {
	rel, err := filepath.Rel(from, to)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

// TestSymlinkEscape checks that links leading out of the bucket give
// ErrPermission or ErrNotExist from every method, are not listed, and
// never expose or change the outside.
func TestSymlinkEscape(t *testing.T) {
	for _, bucketName := range []string{"", "bkt"} {
		t.Run("bucket="+bucketName, func(t *testing.T) {
			b, _, outside := escapeFixture(t, bucketName)
			checkEscapesRefused(t, b)
			if got := listNames(t, b, ""); !slices.Equal(got, []string{"plain"}) {
				t.Errorf("List(\"\") = %q, want only \"plain\"", got)
			}
			if got := readString(t, filepath.Join(outside, "secret")); got != "outside secret" {
				t.Errorf("outside secret changed to %q", got)
			}
			entries, _ := os.ReadDir(outside)
			if len(entries) != 1 {
				t.Errorf("outside directory now holds %d entries, want 1", len(entries))
			}
		})
	}
}

func checkEscapesRefused(t *testing.T, b backends.Bucket) {
	t.Helper()
	ctx := t.Context()
	refused := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, backends.ErrPermission) && !errors.Is(err, backends.ErrNotExist) {
			t.Errorf("%s = %v, want ErrPermission or ErrNotExist", what, err)
		}
	}
	for _, key := range []string{"abs-file", "abs-dir/secret", "rel-dir/secret", "rel-missing"} {
		_, err := b.Stat(ctx, key)
		refused("Stat("+key+")", err)
		r, err := b.Open(ctx, key, 0)
		if err == nil {
			data, _ := io.ReadAll(r)
			r.Close()
			t.Errorf("Open(%q) succeeded and read %q", key, data)
		}
		refused("Open("+key+")", err)
	}
	for _, key := range []string{"abs-dir", "rel-dir"} {
		_, err := b.List(ctx, key)
		refused("List("+key+")", err)
	}
	refused("Delete(abs-dir/secret)", b.Delete(ctx, "abs-dir/secret"))
	refused("Mkdir(abs-dir/new)", b.Mkdir(ctx, "abs-dir/new"))
	refused("Rmdir(rel-dir)", b.Rmdir(ctx, "rel-dir"))
	refused("Rename(abs-dir/secret, stolen)", b.Rename(ctx, "abs-dir/secret", "stolen"))
	refused("Rename(plain, rel-dir/planted)", b.Rename(ctx, "plain", "rel-dir/planted"))
	w, err := b.Create(ctx, "abs-dir/planted", backends.CreateOptions{})
	if err == nil {
		w.Write([]byte("planted"))
		err = w.Commit()
	}
	refused("writing abs-dir/planted", err)
}

// TestEscapeErrorText pins the os.Root message that mapErr recognises.
func TestEscapeErrorText(t *testing.T) {
	root, err := os.OpenRoot(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	_, err = root.Stat("../x")
	if !errors.Is(mapErr(err), backends.ErrPermission) {
		t.Fatalf("os.Root escape error %q no longer recognised; update escapeText", err)
	}
}

// TestBucketDirSymlinkOut checks a bucket whose directory is a link out of
// Root is refused.
func TestBucketDirSymlinkOut(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	mustWriteFile(t, filepath.Join(outside, "secret"), "outside secret")
	if err := os.Symlink(outside, filepath.Join(root, "evil")); err != nil {
		t.Fatal(err)
	}
	be, err := New(Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	b, _ := be.Bucket("evil")
	if r, err := b.Open(t.Context(), "secret", 0); err == nil {
		r.Close()
		t.Fatal("opened a file through a bucket directory linking out of Root")
	}
	if err := b.Mkdir(t.Context(), "new"); err == nil {
		t.Fatal("made a directory through a bucket directory linking out of Root")
	}
}

// TestSymlinkInsideFollowed documents that links staying in the bucket
// work like their target.
func TestSymlinkInsideFollowed(t *testing.T) {
	b, root := newBucket(t, "")
	mustWriteFile(t, filepath.Join(root, "d", "target"), "inside")
	if err := os.Symlink("d/target", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if e, err := b.Stat(t.Context(), "link"); err != nil || e.IsDir || e.Size != 6 {
		t.Errorf("Stat(link) = %+v, %v; want a 6-byte file", e, err)
	}
	if got := listNames(t, b, ""); !slices.Equal(got, []string{"d", "link"}) {
		t.Errorf("List = %q", got)
	}
}

// TestFIFORefused checks a FIFO placed in the bucket neither blocks Open
// nor shows in listings.
func TestFIFORefused(t *testing.T) {
	b, root := newBucket(t, "")
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		r, err := b.Open(t.Context(), "fifo", 0)
		if err == nil {
			r.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, backends.ErrPermission) {
			t.Errorf("Open(fifo) = %v, want ErrPermission", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Open(fifo) blocked")
	}
	if got := listNames(t, b, ""); len(got) != 0 {
		t.Errorf("List = %q, want the FIFO hidden", got)
	}
	if _, err := b.Stat(t.Context(), "fifo"); !errors.Is(err, backends.ErrPermission) {
		t.Errorf("Stat(fifo) = %v, want ErrPermission", err)
	}
}
