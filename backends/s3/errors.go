package s3

import (
	"context"
	"errors"
	"fmt"
	"net"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

// codes classifies S3's error codes; objstore.KindOfStatus classifies by
// HTTP status what codes does not name (HEAD responses have no code).
var codes = map[string]error{
	"NoSuchKey":                   backends.ErrNotExist,
	"NotFound":                    backends.ErrNotExist,
	"NoSuchBucket":                backends.ErrNotExist,
	"NoSuchUpload":                backends.ErrNotExist,
	"AccessDenied":                backends.ErrPermission,
	"AllAccessDisabled":           backends.ErrPermission,
	"InvalidAccessKeyId":          backends.ErrPermission,
	"SignatureDoesNotMatch":       backends.ErrPermission,
	"ExpiredToken":                backends.ErrPermission,
	"InvalidObjectState":          backends.ErrPermission, // archived (Glacier) objects
	"PreconditionFailed":          backends.ErrTransient,  // changed since we looked
	"SlowDown":                    backends.ErrTransient,
	"ServiceUnavailable":          backends.ErrTransient,
	"InternalError":               backends.ErrTransient,
	"RequestTimeout":              backends.ErrTransient,
	"BadDigest":                   backends.ErrTransient, // corrupted in transit
	"InvalidDigest":               backends.ErrTransient,
	"XAmzContentChecksumMismatch": backends.ErrTransient,
	"EntityTooLarge":              backends.ErrFileTooLarge,
	"QuotaExceeded":               backends.ErrQuota,
	"KeyTooLongError":             backends.ErrInvalid,
	"InvalidObjectName":           backends.ErrInvalid,
}

// classify wraps an SDK error with the contract's sentinel, once, and
// with the operation and key; the SDK's messages carry no credentials.
func classify(op, key string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("s3 %s %q: %w", op, key, err)
	}
	kind := error(nil)
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		kind = codes[apiErr.ErrorCode()]
	}
	var respErr *awshttp.ResponseError
	if kind == nil && errors.As(err, &respErr) {
		kind = objstore.KindOfStatus(respErr.HTTPStatusCode())
	}
	var netErr net.Error
	if kind == nil && errors.As(err, &netErr) {
		kind = backends.ErrTransient
	}
	if kind == nil {
		return fmt.Errorf("s3 %s %q: %w", op, key, err)
	}
	if isPrecondition(apiErr, respErr) {
		return fmt.Errorf("s3 %s %q: the object changed during the transfer: %w", op, key, kind)
	}
	return fmt.Errorf("s3 %s %q: %w: %w", op, key, kind, err)
}

func isPrecondition(apiErr smithy.APIError, respErr *awshttp.ResponseError) bool {
	return apiErr != nil && apiErr.ErrorCode() == "PreconditionFailed" ||
		respErr != nil && respErr.HTTPStatusCode() == 412
}
