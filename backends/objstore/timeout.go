package objstore

import (
	"context"
	"fmt"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// Bounded limits ctx to d for one request of a driver to its store. done
// must be called with the request's error: when d ran out while the
// caller's ctx was still alive, the store did not answer in time and done
// returns ErrTransient saying so; any other error goes to classify. done
// also releases the timer.
func Bounded(ctx context.Context, d time.Duration, driver, op, key string,
	classify func(op, key string, err error) error) (context.Context, func(error) error) {
	rctx, cancel := context.WithTimeout(ctx, d)
	return rctx, func(err error) error {
		defer cancel()
		if err != nil && ctx.Err() == nil && rctx.Err() != nil {
			return fmt.Errorf("%s %s %q: no answer within request_timeout (%s): %w", driver, op, key, d, backends.ErrTransient)
		}
		return classify(op, key, err)
	}
}
