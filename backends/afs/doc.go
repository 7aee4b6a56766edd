// Package afs implements the storage contract of package backends once, on
// top of an afero.Fs, so that every file-system-shaped driver (local disk,
// memory) shares one set of semantics: key validation, hidden staged
// uploads renamed into place on Commit, sorted paged listings and error
// classification.
//
// The file system underneath is trusted to confine paths (package local
// hands in one rooted at an *os.Root); this package never builds a path
// from a key it has not validated, never lets a client name a staged
// upload, and never puts a disk path into an error message: messages carry
// the key, relative to the bucket, because they end up in logs.
//
// Checks that afero file systems do not make uniformly (MemMapFs happily
// creates "file/child" or replaces a directory on Rename) are made here
// explicitly, with a Stat before acting. Those checks race with concurrent
// changes by other writers; on local disk the kernel still refuses the
// impossible cases, so the race costs at most a less precise error.
package afs
