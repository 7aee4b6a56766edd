package azure

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

// fromAzure turns the SDK's metadata into plain strings with lower-case
// keys (names read from response headers come back capitalised).
func fromAzure(m map[string]*string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = deref(v)
	}
	return objstore.LowerKeys(out)
}

func toAzure(m map[string]string) map[string]*string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = to.Ptr(v)
	}
	return out
}

// UpdateMetadata sets the merged metadata in place (Set Blob Metadata),
// only if the blob still has obj's ETag.
func (s *store) UpdateMetadata(ctx context.Context, obj objstore.Object, set map[string]string) error {
	if p := nameProblem(obj.Key); p != "" {
		return absent("set metadata", obj.Key, p)
	}
	opts := &blob.SetMetadataOptions{}
	if obj.Version != "" {
		etag := azcore.ETag(obj.Version)
		opts.AccessConditions = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &etag}}
	}
	rctx, done := s.bounded(ctx, "set metadata", obj.Key)
	_, err := s.container.NewBlobClient(obj.Key).SetMetadata(rctx, toAzure(objstore.Merged(obj.Metadata, set)), opts)
	return done(err)
}

// resumeBlockSize is the range of one Put Block From URL of a resumed
// upload's head.
const resumeBlockSize = 100 << 20

// copyHead stages the first n bytes of obj as blocks 1 to k, copied by
// the service itself (Put Block From URL, pinned to obj's ETag), four at
// a time. The source is read through a short-lived read-only SAS, as a
// rename's copy is.
func (u *blockUpload) copyHead(ctx context.Context, obj objstore.Object, n int64) ([]objstore.Part, error) {
	source := u.s.container.NewBlobClient(obj.Key)
	sourceURL, err := u.s.sourceURL(ctx, source, obj.Key, syncCopySASLifetime)
	if err != nil {
		return nil, err
	}
	ranges := objstore.Ranges(n, resumeBlockSize)
	parts := make([]objstore.Part, len(ranges))
	err = objstore.ForEach(ctx, len(ranges), 4, func(ctx context.Context, i int) error {
		r := ranges[i]
		id := u.blockID(i + 1)
		opts := &blockblob.StageBlockFromURLOptions{Range: blob.HTTPRange{Offset: r[0], Count: r[1] - r[0]}}
		if obj.Version != "" {
			opts.SourceModifiedAccessConditions = &blob.SourceModifiedAccessConditions{SourceIfMatch: to.Ptr(azcore.ETag(obj.Version))}
		}
		if _, err := u.blob.StageBlockFromURL(ctx, id, sourceURL, opts); err != nil {
			return fmt.Errorf("staging block %d from the existing blob: %w", i+1, classify("resume", obj.Key, err))
		}
		parts[i] = objstore.Part{N: i + 1, Size: r[1] - r[0], ID: id}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return parts, nil
}
