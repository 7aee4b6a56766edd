package objstore

import (
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/backendtest"
)

// TestConformanceFake runs the suite over the in-memory fake store: the
// directory emulation's logic, including a file and a directory of one
// name, which versitygw cannot hold. The drivers' own tests run the same
// suite against real servers.
func TestConformanceFake(t *testing.T) {
	const part = 64 << 10
	var current *fakeStore
	backendtest.Run(t, func(t *testing.T) backends.Bucket {
		current = newFakeStore(PartOptions{PartSize: part, Concurrency: 3, MaxParts: 10000})
		// Like S3, the fake lists no metadata.
		return NewBucket(current, Options{ListPageSize: 100, ModTimes: NewModTimes(100)})
	}, backendtest.Options{
		PartSize:           part,
		FileAndDirSameName: true,
		ListPageSize:       100,
		PendingUploads:     func(t *testing.T) int { return current.pendingUploads() },
	})
}

// TestConformanceFakeOptions runs the suite again with directory renames
// allowed (the copy-then-delete path instead of the refusal) and reads in
// parallel ranges.
func TestConformanceFakeOptions(t *testing.T) {
	const part = 64 << 10
	backendtest.Run(t, func(t *testing.T) backends.Bucket {
		s := newFakeStore(PartOptions{PartSize: part, Concurrency: 3, MaxParts: 10000})
		return NewBucket(s, Options{ListPageSize: 100, Rename: DirRename{RenameDirectories: true},
			Download: Download{DownloadConcurrency: 3, DownloadPartSize: 256 << 10}, ModTimes: NewModTimes(100)})
	}, backendtest.Options{
		PartSize:           part,
		FileAndDirSameName: true,
		ListPageSize:       100,
		RenamesDirectories: true,
	})
}
