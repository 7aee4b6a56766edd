package afs

import (
	"context"
	"errors"
	"testing"

	"github.com/spf13/afero"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/backendtest"
)

// TestConformanceSmallPages runs the suite with tiny pages, so that paging
// and its boundaries are exercised by every listing.
func TestConformanceSmallPages(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Bucket {
		return NewBucket(afero.NewMemMapFs(), Options{ListPageSize: 3})
	}, backendtest.Options{ListPageSize: 3, PartSize: 64 << 10, RenamesDirectories: true})
}

func newMemBucket() backends.Bucket {
	return NewBucket(afero.NewMemMapFs(), Options{})
}

func put(t *testing.T, b backends.Bucket, key string) {
	t.Helper()
	w, err := b.Create(t.Context(), key, backends.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(key))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestRootOperations covers what this package decided for the root,
// which the contract leaves open.
func TestRootOperations(t *testing.T) {
	b := newMemBucket()
	ctx := t.Context()
	if err := b.Rmdir(ctx, ""); !errors.Is(err, backends.ErrPermission) {
		t.Errorf("Rmdir(\"\") = %v, want ErrPermission", err)
	}
	put(t, b, "f")
	for _, c := range [][2]string{{"", "x"}, {"f", ""}} {
		if err := b.Rename(ctx, c[0], c[1]); !errors.Is(err, backends.ErrInvalid) {
			t.Errorf("Rename(%q, %q) = %v, want ErrInvalid", c[0], c[1], err)
		}
	}
	if e, err := b.Stat(ctx, ""); err != nil || !e.IsDir || e.ModTime.IsZero() {
		t.Errorf("Stat(\"\") = %+v, %v", e, err)
	}
}

func TestRenameDirectoryRules(t *testing.T) {
	b := newMemBucket()
	ctx := t.Context()
	put(t, b, "d/f")
	put(t, b, "e/g")
	if err := b.Rename(ctx, "d", "d/sub"); !errors.Is(err, backends.ErrInvalid) {
		t.Errorf("Rename into itself = %v, want ErrInvalid", err)
	}
	if err := b.Rename(ctx, "d", "e"); !errors.Is(err, backends.ErrIsDir) {
		t.Errorf("Rename onto a directory = %v, want ErrIsDir", err)
	}
	put(t, b, "file")
	if err := b.Rename(ctx, "d", "file"); !errors.Is(err, backends.ErrExist) {
		t.Errorf("Rename a directory onto a file = %v, want ErrExist", err)
	}
	if err := b.Rename(ctx, "file", "file"); err != nil {
		t.Errorf("Rename onto itself = %v, want nil", err)
	}
}

// TestWriteAfterCancel checks a Write after cancellation fails at once,
// without waiting for the AfterFunc.
func TestWriteAfterCancel(t *testing.T) {
	b := newMemBucket()
	ctx, cancel := context.WithCancel(t.Context())
	w, err := b.Create(ctx, "f", backends.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := w.Write([]byte("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Write after cancel = %v, want context.Canceled", err)
	}
	if err := w.Commit(); err == nil {
		t.Error("Commit after cancel succeeded")
	}
	if _, err := b.Stat(t.Context(), "f"); !errors.Is(err, backends.ErrNotExist) {
		t.Errorf("Stat after cancelled upload = %v, want ErrNotExist", err)
	}
}

// TestCreateCancelledContext checks Create refuses a dead context.
func TestCreateCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := newMemBucket().Create(ctx, "f", backends.CreateOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Create with a cancelled context = %v", err)
	}
}
