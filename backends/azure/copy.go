package azure

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

// maxSyncCopySize is the largest source Copy Blob From URL copies in one
// request; larger ones start an asynchronous Copy Blob. A variable so
// that tests reach the asynchronous path without a 256 MiB blob.
var maxSyncCopySize int64 = 256 << 20

const (
	// A copy source's SAS starts this far in the past, in case the
	// service's clock runs behind ours.
	sasClockSkew = 15 * time.Minute
	// The SAS of a synchronous copy is used within its one request; an
	// asynchronous copy reads the source for as long as it runs.
	syncCopySASLifetime  = time.Hour
	asyncCopySASLifetime = 24 * time.Hour
	// Polling an asynchronous copy: from firstCopyPoll, doubling.
	firstCopyPoll = 250 * time.Millisecond
	maxCopyPoll   = 5 * time.Second
	// cleanupTimeout bounds the requests that undo a failed copy, which
	// run on a context of their own (the copy's may be cancelled).
	cleanupTimeout = time.Minute
)

// Copy copies src to dst inside the service, pinned to src's ETag: if
// the source changed since the caller looked, the copy fails
// (ErrTransient) rather than copy other data.
func (s *store) Copy(ctx context.Context, src objstore.Object, dst string) error {
	if p := nameProblem(src.Key); p != "" {
		return absent("copy", src.Key, p)
	}
	if p := nameProblem(dst); p != "" {
		return unstorable("copy", dst, p)
	}
	source := s.container.NewBlobClient(src.Key)
	target := s.container.NewBlobClient(dst)
	var cond *blob.SourceModifiedAccessConditions
	if src.Version != "" {
		cond = &blob.SourceModifiedAccessConditions{SourceIfMatch: to.Ptr(azcore.ETag(src.Version))}
	}
	if src.Size <= maxSyncCopySize {
		sourceURL, err := s.sourceURL(ctx, source, src.Key, syncCopySASLifetime)
		if err != nil {
			return err
		}
		_, err = target.CopyFromURL(ctx, sourceURL, &blob.CopyFromURLOptions{SourceModifiedAccessConditions: cond})
		return classify("copy", src.Key, err)
	}
	return s.copyAsync(ctx, source, target, src, dst, cond)
}

// copyAsync starts a Copy Blob and polls the target until it finishes.
// A copy that fails, or whose context ends, is aborted and its target
// deleted: an unfinished copy leaves an empty or partial blob there.
func (s *store) copyAsync(ctx context.Context, source, target *blob.Client, src objstore.Object, dst string, cond *blob.SourceModifiedAccessConditions) error {
	sourceURL, err := s.sourceURL(ctx, source, src.Key, asyncCopySASLifetime)
	if err != nil {
		return err
	}
	started := time.Now()
	resp, err := target.StartCopyFromURL(ctx, sourceURL, &blob.StartCopyFromURLOptions{SourceModifiedAccessConditions: cond})
	if err != nil {
		return classify("copy", src.Key, err)
	}
	id, status := deref(resp.CopyID), deref(resp.CopyStatus)
	var description string
	for delay := firstCopyPoll; status == blob.CopyStatusTypePending; delay = min(2*delay, maxCopyPoll) {
		select {
		case <-ctx.Done():
			s.undoCopy(target, dst, id)
			return fmt.Errorf("azure copy %q to %q: %w", src.Key, dst, ctx.Err())
		case <-time.After(delay):
		}
		props, err := target.GetProperties(ctx, nil)
		if err != nil {
			s.undoCopy(target, dst, id)
			return classify("copy", dst, err)
		}
		if deref(props.CopyID) != id {
			return fmt.Errorf("azure copy %q to %q: another write replaced the target during the copy: %w", src.Key, dst, backends.ErrTransient)
		}
		status, description = deref(props.CopyStatus), deref(props.CopyStatusDescription)
	}
	if status != blob.CopyStatusTypeSuccess {
		s.undoCopy(target, dst, "")
		return fmt.Errorf("azure copy %q to %q: the copy ended %s (%s): %w", src.Key, dst, status, description, backends.ErrTransient)
	}
	s.log.Debug("asynchronous copy done", "from", src.Key, "to", dst, "size", src.Size, "after", time.Since(started).Round(time.Millisecond))
	return nil
}

// undoCopy aborts copy id (when still pending) and deletes its target.
func (s *store) undoCopy(target *blob.Client, dst, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if id != "" {
		if _, err := target.AbortCopyFromURL(ctx, id, nil); err != nil && !bloberror.HasCode(err, bloberror.NoPendingCopyOperation) {
			s.log.Warn("could not abort a copy", "key", dst, "err", classify("abort copy", dst, err))
		}
	}
	if _, err := target.Delete(ctx, nil); err != nil && !bloberror.HasCode(err, bloberror.BlobNotFound) {
		s.log.Warn("could not delete the target of a failed copy", "key", dst, "err", classify("delete", dst, err))
	}
}

// sourceURL returns a URL through which the service may read source for
// lifetime. Copy Blob From URL never authorizes its source with the
// request's own shared key, so the source carries a short-lived,
// read-only SAS: signed with the shared key when there is one, a user
// delegation SAS with a token credential, else (a configured SAS) the
// client's URL, which carries that SAS; it must then allow reads.
func (s *store) sourceURL(ctx context.Context, source *blob.Client, key string, lifetime time.Duration) (string, error) {
	now := time.Now().UTC()
	start, expiry := now.Add(-sasClockSkew), now.Add(lifetime)
	if s.delegation != nil {
		return delegatedURL(ctx, s.delegation, source, key, start, expiry)
	}
	u, err := source.GetSASURL(sas.BlobPermissions{Read: true}, expiry, &blob.GetSASURLOptions{StartTime: &start})
	if errors.Is(err, bloberror.MissingSharedKeyCredential) {
		return source.URL(), nil
	}
	if err != nil {
		return "", fmt.Errorf("azure copy %q: signing a read SAS for the source: %w", key, err)
	}
	return u, nil
}

// delegatedURL signs a read-only user delegation SAS for source. The
// key is fetched per copy: renames are rare, and a cached key would
// need its own expiry bookkeeping. It needs the generateUserDelegationKey
// permission (Storage Blob Data Contributor has it).
func delegatedURL(ctx context.Context, svc *service.Client, source *blob.Client, key string, start, expiry time.Time) (string, error) {
	cred, err := svc.GetUserDelegationCredential(ctx, service.KeyInfo{
		Start:  to.Ptr(start.Format(sas.TimeFormat)),
		Expiry: to.Ptr(expiry.Format(sas.TimeFormat)),
	}, nil)
	if err != nil {
		return "", classify("copy (user delegation key)", key, err)
	}
	parts, err := blob.ParseURL(source.URL())
	if err != nil {
		return "", fmt.Errorf("azure copy %q: %w", key, err)
	}
	parts.SAS, err = sas.BlobSignatureValues{
		Protocol:      sas.ProtocolHTTPS,
		StartTime:     start,
		ExpiryTime:    expiry,
		Permissions:   (&sas.BlobPermissions{Read: true}).String(),
		ContainerName: parts.ContainerName,
		BlobName:      parts.BlobName,
	}.SignWithUserDelegation(cred)
	if err != nil {
		return "", fmt.Errorf("azure copy %q: signing a user delegation SAS: %w", key, err)
	}
	return parts.String(), nil
}
