package objstore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// TestBounded: a request that outlives request_timeout while its caller
// still waits is a transient failure; a caller that gave up is not, and
// any other error goes to the driver's classification.
func TestBounded(t *testing.T) {
	classified := errors.New("classified by the driver")
	classify := func(op, key string, err error) error {
		if err == nil {
			return nil
		}
		return fmt.Errorf("%s %s: %w: %w", op, key, classified, err)
	}

	t.Run("no answer in time", func(t *testing.T) {
		rctx, done := Bounded(t.Context(), time.Millisecond, "s3", "head", "k", classify)
		<-rctx.Done() // the store never answers
		err := done(rctx.Err())
		if !errors.Is(err, backends.ErrTransient) || errors.Is(err, classified) {
			t.Fatalf("timed-out request: %v, want ErrTransient", err)
		}
	})
	t.Run("caller gave up", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		rctx, done := Bounded(ctx, time.Hour, "s3", "head", "k", classify)
		cancel()
		<-rctx.Done()
		err := done(rctx.Err())
		if errors.Is(err, backends.ErrTransient) || !errors.Is(err, context.Canceled) || !errors.Is(err, classified) {
			t.Fatalf("cancelled request: %v, want the cancellation, classified", err)
		}
	})
	t.Run("answer", func(t *testing.T) {
		rctx, done := Bounded(t.Context(), time.Hour, "s3", "head", "k", classify)
		if err := done(nil); err != nil {
			t.Fatal(err)
		}
		if rctx.Err() == nil {
			t.Fatal("done did not release the request's context")
		}
		failure := errors.New("403")
		_, done = Bounded(t.Context(), time.Hour, "s3", "head", "k", classify)
		if err := done(failure); !errors.Is(err, classified) || !errors.Is(err, failure) {
			t.Fatalf("failed request: %v, want it classified", err)
		}
	})
}
