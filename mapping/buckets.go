package mapping

import (
	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// bucketID names one bucket handle. prefix is set only for a backend
// that confines buckets to a prefix (backends.Confiner).
type bucketID struct{ backend, bucket, prefix string }

// bucketHandles hands out one handle per backend and bucket, so that
// mounts on the same bucket share it and may rename between each other;
// on a backends.Confiner (local disk), one per backend, bucket and
// prefix, rooted at the prefix, so that a symbolic link below one
// mount's prefix cannot reach another's. Mounts of one user on the same
// local bucket with different prefixes then cannot rename into each
// other (backends.ErrCrossMount): that is the price of confining links.
type bucketHandles struct {
	stores map[string]backends.Backend
	byID   map[bucketID]backends.Bucket
}

// mount returns the Mount for pm, user i's parsed mount.
func (h *bucketHandles) mount(i int, pm parsedMount) (Mount, error) {
	be := h.stores[pm.backend]
	if be == nil {
		return Mount{}, fielderr.New(field(i, pm.fieldOf("backend")), "backend %q is not available", pm.backend)
	}
	confiner, confine := be.(backends.Confiner)
	confine = confine && pm.prefix != ""
	id := bucketID{backend: pm.backend, bucket: pm.bucket}
	if confine {
		id.prefix = pm.prefix
	}
	b, ok := h.byID[id]
	if !ok {
		var err error
		if confine {
			b, err = confiner.ConfinedBucket(pm.bucket, pm.prefix)
		} else {
			b, err = be.Bucket(pm.bucket)
		}
		if err != nil {
			return Mount{}, fielderr.New(field(i, pm.fieldOf("bucket")), "%v", err)
		}
		h.byID[id] = b
	}
	m := Mount{Path: pm.path, Prefix: pm.prefix, Perm: pm.perm, Bucket: b}
	if confine {
		m.Prefix = "" // the handle is rooted at the prefix already
	}
	return m, nil
}
