package azure

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

// blockUpload is objstore.PartUpload for one block blob: parts are
// staged blocks, committed in order by one Put Block List.
type blockUpload struct {
	s    *store
	key  string
	blob *blockblob.Client
	// prefix starts every block ID of this upload and of no other, so
	// two uploads to one blob at once never stage blocks under the same
	// ID (one would otherwise commit the other's data).
	prefix string
	// meta is stored with the blob; final adds the digests at commit.
	meta  map[string]string
	final func() map[string]string
}

// metadata is what the blob gets when it is committed.
func (u *blockUpload) metadata() map[string]*string {
	if u.final != nil {
		return toAzure(objstore.Merged(u.meta, u.final()))
	}
	return toAzure(u.meta)
}

// blockID is the base64 of prefix-NNNNN: one length for every block
// (up to 99,999, above Azure's 50,000) and every upload, since Azure
// refuses a block whose ID length differs from that of the blob's
// other uncommitted blocks (InvalidBlobOrBlock).
func (u *blockUpload) blockID(n int) string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%s-%05d", u.prefix, n))
}

// PutWhole stores a file shorter than one block in one Put Blob. The
// Content-MD5 makes the service refuse data corrupted on the way (and it
// keeps that MD5 as the blob's).
func (u *blockUpload) PutWhole(ctx context.Context, data []byte) error {
	sum := md5.Sum(data)
	_, err := u.blob.Upload(ctx, streaming.NopCloser(bytes.NewReader(data)), &blockblob.UploadOptions{
		TransactionalValidation: blob.TransferValidationTypeMD5(sum[:]),
		Metadata:                u.metadata(),
	})
	return classify("upload", u.key, err)
}

// Begin has nothing to start: blocks are staged on the blob's name.
func (u *blockUpload) Begin(context.Context) error { return nil }

// UploadPart stages block n with the MD5 of its data, which the service
// checks: a block corrupted in transit is refused (Md5Mismatch), never
// committed. The body is a bytes.Reader, so the SDK's retries rewind it.
func (u *blockUpload) UploadPart(ctx context.Context, n int, data []byte) (objstore.Part, error) {
	id := u.blockID(n)
	sum := md5.Sum(data)
	_, err := u.blob.StageBlock(ctx, id, streaming.NopCloser(bytes.NewReader(data)), &blockblob.StageBlockOptions{
		TransactionalValidation: blob.TransferValidationTypeMD5(sum[:]),
	})
	if err != nil {
		return objstore.Part{}, classify("upload", u.key, err)
	}
	return objstore.Part{ID: id}, nil
}

// Complete commits the blocks in order: the blob appears, whole, now.
func (u *blockUpload) Complete(ctx context.Context, parts []objstore.Part) error {
	ids := make([]string, len(parts))
	for i, p := range parts {
		ids[i] = p.ID
	}
	_, err := u.blob.CommitBlockList(ctx, ids, &blockblob.CommitBlockListOptions{Metadata: u.metadata()})
	return classify("upload", u.key, err)
}

// Abort calls nothing: Azure has no request that discards staged blocks
// short of deleting the blob, which would destroy the file this upload
// was replacing. Uncommitted blocks are invisible (no listing, stat or
// read shows them), are dropped by the blob's next commit, and expire on
// their own after seven days; until then they count towards the
// account's storage. Nothing of an aborted upload is ever readable.
func (u *blockUpload) Abort(context.Context) error {
	u.s.log.Debug("upload aborted; its staged blocks expire within 7 days", "key", u.key)
	return nil
}
