package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/internal/config"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// TestRestartOnlyComparesKeptFiles checks that a reload compares what the
// drivers kept from their files (an S3 ca_file) by content: the same file
// loaded twice is no change, a new CA in it is a change to backends.
func TestRestartOnlyComparesKeptFiles(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "store-ca.pem")
	testenv.NewCA(t, "store CA").WriteCA(t, ca)
	path := writeConfig(t, dir, 2121)
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	withS3 := strings.Replace(string(text), "/files}]\n",
		"/files}, {name: store, type: s3, region: us-east-1, endpoint: \"https://127.0.0.1:1\", ca_file: "+ca+"}]\n", 1)
	if withS3 == string(text) {
		t.Fatal("backends line not found")
	}
	if err := os.WriteFile(path, []byte(withS3), 0o600); err != nil {
		t.Fatal(err)
	}
	load := func() *config.Config {
		t.Helper()
		c, err := config.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	first := load()
	if changed := restartOnly(first, load()); len(changed) != 0 {
		t.Fatalf("the same file loaded twice differs in %v", changed)
	}
	testenv.NewCA(t, "another store CA").WriteCA(t, ca)
	if changed := restartOnly(first, load()); !slices.Equal(changed, []string{"backends"}) {
		t.Fatalf("a new ca_file content: changed %v, want [backends]", changed)
	}
}
