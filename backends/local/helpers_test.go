package local

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

func mustWriteFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func putString(t *testing.T, b backends.Bucket, key, content string) {
	t.Helper()
	w, err := b.Create(t.Context(), key, backends.CreateOptions{})
	if err != nil {
		t.Fatalf("Create(%q): %v", key, err)
	}
	if _, err := io.WriteString(w, content); err != nil {
		t.Fatalf("Write(%q): %v", key, err)
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit(%q): %v", key, err)
	}
}

// listNames returns the names listed in dir.
func listNames(t *testing.T, b backends.Bucket, dir string) []string {
	t.Helper()
	l, err := b.List(t.Context(), dir)
	if err != nil {
		t.Fatalf("List(%q): %v", dir, err)
	}
	defer l.Close()
	var names []string
	for {
		page, err := l.Next(t.Context())
		if errors.Is(err, io.EOF) {
			return names
		}
		if err != nil {
			t.Fatalf("List(%q): %v", dir, err)
		}
		for _, e := range page {
			names = append(names, e.Name)
		}
	}
}
