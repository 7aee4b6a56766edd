package azure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

// Codes the service sends that bloberror does not name.
const (
	codeMD5Mismatch   bloberror.Code = "Md5Mismatch"
	codeCRC64Mismatch bloberror.Code = "Crc64Mismatch"
)

// codes classifies the service's error codes; objstore.KindOfStatus covers the rest
// (responses to HEAD carry their code only in a header, which a proxy or
// an emulator may drop).
var codes = map[bloberror.Code]error{
	bloberror.BlobNotFound:      backends.ErrNotExist,
	bloberror.ContainerNotFound: backends.ErrNotExist,
	bloberror.ResourceNotFound:  backends.ErrNotExist,

	bloberror.AuthorizationFailure:              backends.ErrPermission,
	bloberror.AuthenticationFailed:              backends.ErrPermission,
	bloberror.AuthorizationPermissionMismatch:   backends.ErrPermission,
	bloberror.AuthorizationSourceIPMismatch:     backends.ErrPermission,
	bloberror.AuthorizationProtocolMismatch:     backends.ErrPermission,
	bloberror.AuthorizationResourceTypeMismatch: backends.ErrPermission,
	bloberror.AuthorizationServiceMismatch:      backends.ErrPermission,
	bloberror.InsufficientAccountPermissions:    backends.ErrPermission,
	bloberror.NoAuthenticationInformation:       backends.ErrPermission,
	bloberror.InvalidAuthenticationInfo:         backends.ErrPermission,
	bloberror.AccountIsDisabled:                 backends.ErrPermission,
	bloberror.BlobArchived:                      backends.ErrPermission, // archive tier: rehydrate first
	bloberror.BlobBeingRehydrated:               backends.ErrPermission,
	bloberror.BlobImmutableDueToPolicy:          backends.ErrPermission,
	bloberror.UnauthorizedBlobOverwrite:         backends.ErrPermission,
	bloberror.LeaseIDMissing:                    backends.ErrPermission, // leased by another tool
	bloberror.LeaseIDMismatchWithBlobOperation:  backends.ErrPermission,

	bloberror.ConditionNotMet:       backends.ErrTransient, // changed since we looked
	bloberror.SourceConditionNotMet: backends.ErrTransient,
	bloberror.TargetConditionNotMet: backends.ErrTransient,

	bloberror.BlobAlreadyExists:     backends.ErrExist,
	bloberror.ResourceAlreadyExists: backends.ErrExist,

	bloberror.ServerBusy:            backends.ErrTransient,
	bloberror.InternalError:         backends.ErrTransient,
	bloberror.OperationTimedOut:     backends.ErrTransient,
	bloberror.ContainerBeingDeleted: backends.ErrTransient,
	bloberror.PendingCopyOperation:  backends.ErrTransient,
	bloberror.InvalidBlockList:      backends.ErrTransient, // see details
	bloberror.InvalidBlobOrBlock:    backends.ErrTransient,
	codeMD5Mismatch:                 backends.ErrTransient, // corrupted in transit
	codeCRC64Mismatch:               backends.ErrTransient,

	bloberror.BlockCountExceedsLimit: backends.ErrFileTooLarge, // 50,000 blocks
	bloberror.BlockListTooLong:       backends.ErrFileTooLarge,
	bloberror.RequestBodyTooLarge:    backends.ErrQuota,

	bloberror.InvalidResourceName: backends.ErrInvalid,
	bloberror.InvalidURI:          backends.ErrInvalid,
	bloberror.OutOfRangeInput:     backends.ErrInvalid, // a name too long
	bloberror.InvalidBlobType:     backends.ErrUnsupported,
}

// details say in words what a code means for a transfer.
var details = map[bloberror.Code]string{
	bloberror.InvalidBlockList:     "the staged blocks are gone: another upload to the same blob committed first",
	codeMD5Mismatch:                "the data was corrupted in transit (MD5 mismatch)",
	codeCRC64Mismatch:              "the data was corrupted in transit (CRC64 mismatch)",
	bloberror.BlobArchived:         "the blob is in the archive tier and must be rehydrated first",
	bloberror.InvalidBlobType:      "the blob is a page or append blob, which this driver does not write",
	bloberror.LeaseIDMissing:       "the blob is leased by another client",
	bloberror.PendingCopyOperation: "a copy to the blob is still in progress",
	bloberror.InvalidBlobOrBlock: "the block was refused; when another tool's unfinished upload to this blob staged block IDs " +
		"of another length, Azure takes new blocks only after those expire (within 7 days) or the blob is deleted",
}

// storeError is a classified failure of one SDK call. Its message is
// short and safe to log: the operation, the key, the service's error
// code and status, never the response body or a request URL's query
// (where a SAS would be). errors.As still finds the SDK's typed error.
type storeError struct {
	op, key string
	detail  string
	kind    error // a backends sentinel, or nil when unclassified
	err     error
}

func (e *storeError) Error() string {
	msg := fmt.Sprintf("azure %s %q: %s", e.op, e.key, e.detail)
	if e.kind != nil {
		msg += ": " + e.kind.Error()
	}
	return msg
}

func (e *storeError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.err}
	}
	return []error{e.kind, e.err}
}

// classify wraps an SDK error with the contract's sentinel, once. op is
// what was being done ("read", "upload", "copy"...), key the blob.
func classify(op, key string, err error) error {
	if err == nil {
		return nil
	}
	err = withoutQuery(err)
	e := &storeError{op: op, key: key, err: err}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		e.detail = err.Error()
		return e // the caller's own cancellation: not the store's failure
	}
	var respErr *azcore.ResponseError
	var netErr net.Error
	switch {
	case errors.As(err, &respErr):
		code := bloberror.Code(respErr.ErrorCode)
		e.kind = codes[code]
		if e.kind == nil {
			e.kind = objstore.KindOfStatus(respErr.StatusCode)
		}
		e.detail = fmt.Sprintf("%s (HTTP %d)", respErr.ErrorCode, respErr.StatusCode)
		if respErr.ErrorCode == "" {
			e.detail = fmt.Sprintf("HTTP %d", respErr.StatusCode)
		}
		if d, ok := details[code]; ok {
			e.detail = d + ": " + e.detail
		}
		if isCondition(code) || respErr.StatusCode == 412 {
			e.detail = changed(op) + ": " + e.detail
		}
	case errors.As(err, &netErr), errors.Is(err, io.ErrUnexpectedEOF):
		e.kind = backends.ErrTransient
		e.detail = err.Error()
	default:
		e.detail = err.Error()
	}
	return e
}

func isCondition(code bloberror.Code) bool {
	return code == bloberror.ConditionNotMet || code == bloberror.SourceConditionNotMet || code == bloberror.TargetConditionNotMet
}

// changed explains a failed precondition: every read and copy is pinned
// to the ETag the caller saw.
func changed(op string) string {
	switch op {
	case "read":
		return "the object changed during the download"
	case "copy":
		return "the source changed before it could be copied"
	}
	return "the object changed during the operation"
}

// withoutQuery replaces a *url.Error in err with one whose URL has no
// query: with a SAS credential the query holds the signature, and
// net/http puts the whole URL in every transport error.
func withoutQuery(err error) error {
	var urlErr *url.Error
	if !errors.As(err, &urlErr) {
		return err
	}
	return &url.Error{Op: urlErr.Op, URL: redactURL(urlErr.URL), Err: urlErr.Err}
}
