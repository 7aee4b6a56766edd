// Package memory is the ftpsbridge driver that keeps everything in RAM, on
// afero's MemMapFs. It exists for tests and demos: nothing survives a
// restart, and it must never be offered for production data.
//
// Buckets are directories of one shared file system, as on local disk, and
// the contract is implemented by package afs, so tests written against
// this driver exercise the same code as the local one.
package memory

import (
	"github.com/spf13/afero"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/afs"
)

// New returns an empty in-memory backend.
func New() backends.Backend {
	return afs.New(afero.NewMemMapFs(), afs.Options{})
}

// Config is the memory driver's configuration: it has no settings.
type Config struct{}

// Validate has nothing to check; it makes Config a driver configuration
// like the others.
func (*Config) Validate() error { return nil }
