package backends

// Confiner is implemented by backends whose stores can hold names that
// lead elsewhere (symbolic links on a local disk), so that a key under one
// prefix could reach objects under another. Package mapping asks such a
// backend for a bucket confined to each mount's prefix instead of joining
// the prefix to keys itself: a string prefix cannot confine a link.
//
// Object stores have no links: a key is the object's whole name, so they
// need not implement it.
type Confiner interface {
	// ConfinedBucket returns bucket name seen from prefix (normalised, not
	// ""): its key k is key prefix/k of Bucket(name), and nothing stored
	// below prefix lets any of its methods read, list, write, rename or
	// delete outside prefix. Such attempts fail with ErrPermission or
	// ErrNotExist.
	ConfinedBucket(name, prefix string) (Bucket, error)
}
