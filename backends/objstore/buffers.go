package objstore

import "sync"

// Part buffers are large (16 MiB by default) and every upload needs a few,
// so they are recycled through one pool per size: a server running many
// uploads reaches a steady state instead of churning the garbage
// collector. Parts that grew past the configured size get pools of their
// own; those sizes are few, since growth is gradual and rare.
var (
	poolsMu sync.Mutex
	pools   = map[int]*sync.Pool{}
)

func poolFor(size int) *sync.Pool {
	poolsMu.Lock()
	defer poolsMu.Unlock()
	p, ok := pools[size]
	if !ok {
		p = &sync.Pool{New: func() any { b := make([]byte, 0, size); return &b }}
		pools[size] = p
	}
	return p
}

// getBuffer returns an empty slice with capacity size.
func getBuffer(size int64) []byte {
	return (*poolFor(int(size)).Get().(*[]byte))[:0]
}

// putBuffer recycles b; buffers below the pooled sizes are left to the
// garbage collector.
func putBuffer(b []byte) {
	if cap(b) < firstBufferSize*2 {
		return
	}
	b = b[:0]
	poolFor(cap(b)).Put(&b)
}
