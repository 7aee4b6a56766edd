package objstore

import (
	"context"
	"sync/atomic"
)

// CountingStore is a fake store that counts the requests which ask about
// a key (Heads and Lists), for the external tests that drive it through
// package mapping (requests_test.go).
type CountingStore struct {
	*fakeStore
	heads, lists atomic.Int64
}

// NewCountingStore returns an empty CountingStore.
func NewCountingStore() *CountingStore {
	return &CountingStore{fakeStore: newFakeStore(PartOptions{PartSize: 1 << 20})}
}

// Put stores data at key directly.
func (c *CountingStore) Put(key string, data []byte) { c.put(key, data) }

// Requests returns the Heads and Lists made so far.
func (c *CountingStore) Requests() (heads, lists int64) { return c.heads.Load(), c.lists.Load() }

func (c *CountingStore) Head(ctx context.Context, key string) (Object, error) {
	c.heads.Add(1)
	return c.fakeStore.Head(ctx, key)
}

func (c *CountingStore) List(ctx context.Context, prefix, token string, limit int) (Page, error) {
	c.lists.Add(1)
	return c.fakeStore.List(ctx, prefix, token, limit)
}
