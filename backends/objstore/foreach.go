package objstore

import (
	"context"
	"sync"
)

// ForEach runs f for 0..n-1, at most limit at a time, and returns the
// first error; after one (or once ctx is cancelled), no further calls
// start and the running ones see their context cancelled.
func ForEach(ctx context.Context, n, limit int, f func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	fail := func(err error) { once.Do(func() { first = err; cancel() }) }
	sem := make(chan struct{}, limit)
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if err := ctx.Err(); err != nil {
			fail(err) // the caller's cancellation; a no-op after a failure
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(ctx, i); err != nil {
				fail(err)
			}
		}()
	}
	wg.Wait()
	return first
}
