package memory_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/afs"
	"github.com/ftpsbridge/ftpsbridge/backends/backendtest"
	"github.com/ftpsbridge/ftpsbridge/backends/memory"
)

func TestConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Bucket {
		b, err := memory.New().Bucket("")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}, backendtest.Options{ListPageSize: afs.DefaultListPageSize, RenamesDirectories: true})
}

func TestConformanceNamedBucket(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Bucket {
		b, err := memory.New().Bucket("named")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}, backendtest.Options{ListPageSize: afs.DefaultListPageSize, RenamesDirectories: true})
}

// TestBucketsAreDirectories checks that buckets do not see each other and
// that the root bucket sees them as directories.
func TestBucketsAreDirectories(t *testing.T) {
	be := memory.New()
	defer be.Close()
	a, _ := be.Bucket("a")
	b, _ := be.Bucket("b")
	root, _ := be.Bucket("")
	w, err := a.Create(t.Context(), "f", backends.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("in a"))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Stat(t.Context(), "f"); !errors.Is(err, backends.ErrNotExist) {
		t.Errorf("bucket b sees bucket a's file: %v", err)
	}
	r, err := root.Open(t.Context(), "a/f", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, _ := io.ReadAll(r); !bytes.Equal(got, []byte("in a")) {
		t.Errorf("root reads a/f as %q", got)
	}
	for _, name := range []string{".", "..", "a/b", `a\b`, "a\x00", backends.TempPrefix + "x"} {
		if _, err := be.Bucket(name); !errors.Is(err, backends.ErrInvalid) {
			t.Errorf("Bucket(%q) = %v, want ErrInvalid", name, err)
		}
	}
}
