package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// tempFiles returns the staged-upload files in directory dir on disk.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), backends.TempPrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestTempFilesHidden checks a staged upload lives beside its target, is
// invisible and untouchable through the bucket, and disappears on Commit
// and Abort.
func TestTempFilesHidden(t *testing.T) {
	b, root := newBucket(t, "")
	ctx := t.Context()
	w, err := b.Create(ctx, "d/f", backends.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("staged"))
	tmps := tempFiles(t, filepath.Join(root, "d"))
	if len(tmps) != 1 {
		t.Fatalf("staged files beside the target: %q, want one", tmps)
	}
	if got := listNames(t, b, "d"); len(got) != 0 {
		t.Errorf("List(d) during upload = %q, want nothing", got)
	}
	key := "d/" + tmps[0]
	if _, err := b.Stat(ctx, key); !errors.Is(err, backends.ErrInvalid) {
		t.Errorf("Stat(%q) = %v, want ErrInvalid", key, err)
	}
	if err := b.Delete(ctx, key); !errors.Is(err, backends.ErrInvalid) {
		t.Errorf("Delete(%q) = %v, want ErrInvalid", key, err)
	}
	if _, err := b.Create(ctx, key, backends.CreateOptions{}); !errors.Is(err, backends.ErrInvalid) {
		t.Errorf("Create(%q) = %v, want ErrInvalid", key, err)
	}
	if err := b.Rmdir(ctx, "d"); !errors.Is(err, backends.ErrNotEmpty) {
		t.Errorf("Rmdir(d) during upload = %v, want ErrNotEmpty", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if tmps := tempFiles(t, filepath.Join(root, "d")); len(tmps) != 0 {
		t.Errorf("staged files after Commit: %q", tmps)
	}
	w, _ = b.Create(ctx, "e/f", backends.CreateOptions{})
	w.Write([]byte("x"))
	w.Abort()
	if _, err := os.Stat(filepath.Join(root, "e")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Abort left the parent it made: %v", err)
	}
}

// TestStaleTempSwept checks Rmdir deletes a crash leftover but not a
// fresh upload.
func TestStaleTempSwept(t *testing.T) {
	b, root := newBucket(t, "")
	stale := filepath.Join(root, "d", backends.TempPrefix+"leftover")
	mustWriteFile(t, stale, "half an upload")
	if got := listNames(t, b, "d"); len(got) != 0 {
		t.Errorf("List(d) = %q, want the leftover hidden", got)
	}
	if err := b.Rmdir(t.Context(), "d"); !errors.Is(err, backends.ErrNotEmpty) {
		t.Errorf("Rmdir with a fresh staged file = %v, want ErrNotEmpty", err)
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if err := b.Rmdir(t.Context(), "d"); err != nil {
		t.Errorf("Rmdir with only a stale staged file: %v", err)
	}
}

// TestCancelRemovesTemp checks cancelling the context removes the staged
// file without any further call on the writer.
func TestCancelRemovesTemp(t *testing.T) {
	b, root := newBucket(t, "")
	ctx, cancel := context.WithCancel(t.Context())
	w, err := b.Create(ctx, "f", backends.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for len(tempFiles(t, root)) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("staged file still present after cancel")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := w.Write([]byte("y")); err == nil {
		t.Error("Write after cancel succeeded")
	}
}
