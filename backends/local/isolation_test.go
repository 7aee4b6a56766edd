//go:build unix

package local_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends/local"
	"github.com/ftpsbridge/ftpsbridge/mapping/mappingtest"
)

// localTarget is a fresh local backend whose bucket "shared" is a real
// directory, with Link making symbolic links in it.
func localTarget(t *testing.T) mappingtest.Target {
	root := t.TempDir()
	be, err := local.New(local.Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	bucketDir := filepath.Join(root, "shared")
	return mappingtest.Target{Backend: be, Bucket: "shared", Link: func(key, target string) error {
		return os.Symlink(target, filepath.Join(bucketDir, filepath.FromSlash(key)))
	}}
}

// TestIsolation runs the isolation suite (every hostile path, through
// mapping and over FTPS) against local disk.
func TestIsolation(t *testing.T) {
	mappingtest.RunIsolation(t, localTarget)
}

// TestSymlinkIsolation: links inside alice's prefix that lead into bob's
// (or to the bucket's root) give alice nothing of bob's, by any command.
func TestSymlinkIsolation(t *testing.T) {
	mappingtest.RunSymlinkIsolation(t, localTarget)
}
