package gcs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

// classify wraps err, from operation op on key under ctx, with the
// backends sentinel it stands for. It is the only place SDK errors are
// interpreted. The SDK's messages carry the HTTP status and the service's
// reason, never a token or key; this package adds only the operation and
// the object key.
func classify(ctx context.Context, op, key string, err error) error {
	if err == nil {
		return nil
	}
	if backends.Kind(err) != nil {
		// Classified already: a cause this package gave a cancellation.
		return fmt.Errorf("gcs: %s %q: %w", op, key, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		if ctx.Err() == nil {
			// Not the caller's context: one of the SDK's own deadlines
			// (a chunk's transfer timeout, a retry deadline) expired.
			return fmt.Errorf("gcs: %s %q: the store did not answer in time: %w: %w", op, key, backends.ErrTransient, err)
		}
		if cause := context.Cause(ctx); backends.Kind(cause) != nil {
			// This package cancelled ctx, and said why.
			return fmt.Errorf("gcs: %s %q: %w", op, key, cause)
		}
		// The caller cancelled: passed through, the store did not fail.
		return fmt.Errorf("gcs: %s %q: %w", op, key, err)
	}
	kind := kindOf(err)
	if kind == nil {
		return fmt.Errorf("gcs: %s %q: %w", op, key, err)
	}
	if kind == backends.ErrTransient && isPrecondition(err) {
		return fmt.Errorf("gcs: %s %q: the object changed during the operation: %w: %w", op, key, kind, err)
	}
	return fmt.Errorf("gcs: %s %q: %w: %w", op, key, kind, err)
}

// kindOf returns the sentinel err stands for, or nil for errors that
// already carry their meaning (context errors) or that this package
// cannot name.
func kindOf(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil // classify tells whose context it was
	}
	if errors.Is(err, storage.ErrObjectNotExist) || errors.Is(err, storage.ErrBucketNotExist) {
		return backends.ErrNotExist
	}
	var apiErr *googleapi.Error
	if errors.As(err, &apiErr) {
		return kindOfStatus(apiErr.Code)
	}
	if isNetwork(err) {
		return backends.ErrTransient
	}
	return nil
}

func kindOfStatus(code int) error {
	if code == http.StatusBadRequest {
		return backends.ErrInvalid
	}
	return objstore.KindOfStatus(code)
}

func isPrecondition(err error) bool {
	var apiErr *googleapi.Error
	return errors.As(err, &apiErr) && apiErr.Code == http.StatusPreconditionFailed
}

// isNetwork reports connection-level failures: refused, reset, timed out,
// cut short.
func isNetwork(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE)
}

// changed is the error for a read or copy pinned to a generation that is
// gone: the object was overwritten or deleted since it was looked up.
func changed(op, key string, err error) error {
	return fmt.Errorf("gcs: %s %q: the object changed or was deleted since it was looked up: %w: %w",
		op, key, backends.ErrTransient, err)
}

// invalid is an ErrInvalid error with a formatted reason.
func invalid(format string, args ...any) error {
	return fmt.Errorf("gcs: "+format+": %w", append(args, backends.ErrInvalid)...)
}
