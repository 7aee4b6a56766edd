package local

import (
	"fmt"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/afs"
)

var _ backends.Confiner = (*backend)(nil)

// ConfinedBucket returns bucket name rooted at its sub-directory prefix,
// with an *os.Root of its own: a symbolic link below prefix is followed
// only while it stays below prefix, so a link one user's prefix holds
// ("ln -s ../bob alice/bob") cannot reach another user's files, though
// both lie inside the bucket. The prefix directory is made by the first
// write, like a bucket's.
func (b *backend) ConfinedBucket(name, prefix string) (backends.Bucket, error) {
	if err := afs.CheckBucketName(name); err != nil {
		return nil, err
	}
	if err := backends.CheckKey(prefix); err != nil || prefix == "" {
		return nil, fmt.Errorf("local: prefix %q: %w", prefix, backends.ErrInvalid)
	}
	sub := prefix
	if name != "" {
		sub = name + "/" + prefix
	}
	return afs.NewBucket(&rootFS{parent: b.root, sub: sub}, afs.Options{}), nil
}
