// Package local is the ftpsbridge driver for a directory on local disk.
//
// Every bucket is confined by its own *os.Root (openat-based resolution in
// the kernel's terms, not string joining), so no key, symbolic link or
// rename can make it read or write outside its directory: a link that
// leads out of the bucket reads as a permission error and is hidden from
// listings. Links that stay inside the bucket are followed. Bucket ""
// is Root itself; bucket "x" is Root/x and cannot reach its siblings.
//
// The contract itself (keys, staged uploads, listings, errors) lives in
// package afs; this package only supplies the confined file system. It
// must never open a path built from a key with the os package directly.
package local

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/afs"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// rootPerm is the mode of Root and of bucket directories made on demand:
// the server's user and group only, since the files belong to FTP users.
const rootPerm os.FileMode = 0o750

// Config configures the local driver.
type Config struct {
	// Root is the directory that holds everything the driver serves.
	Root string `yaml:"root"`
}

// Validate reports a missing Root, as a *fielderr.Error naming the key and
// wrapping backends.ErrInvalid.
func (c *Config) Validate() error {
	if c.Root == "" {
		return &fielderr.Error{Field: "root", Reason: "is required", Kind: backends.ErrInvalid}
	}
	return nil
}

// New opens the directory cfg.Root, creating it (and its parents) with
// mode 0750 if missing.
func New(cfg Config) (backends.Backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	abs, err := filepath.Abs(cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("local: root %q: %w", cfg.Root, err)
	}
	if err := os.MkdirAll(abs, rootPerm); err != nil {
		return nil, fmt.Errorf("local: creating root: %w", err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("local: opening root: %w", err)
	}
	return &backend{root: root}, nil
}

type backend struct {
	root *os.Root
}

// Bucket returns the sub-directory name of Root ("" for Root itself). A
// missing bucket directory reads as empty and is made by the first write.
func (b *backend) Bucket(name string) (backends.Bucket, error) {
	if err := afs.CheckBucketName(name); err != nil {
		return nil, err
	}
	return afs.NewBucket(&rootFS{parent: b.root, sub: name}, afs.Options{}), nil
}

// Close releases Root. Buckets stop working; readers and writers already
// open keep their own descriptors.
func (b *backend) Close() error {
	return b.root.Close()
}
