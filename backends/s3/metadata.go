package s3

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

// UpdateMetadata copies obj onto itself with the merged metadata: S3
// cannot change metadata in place. Above 5 GiB the copy is multipart.
// It is pinned to obj's ETag, so a concurrent overwrite fails it
// instead of being replaced by the older content.
func (s *store) UpdateMetadata(ctx context.Context, obj objstore.Object, set map[string]string) error {
	meta := objstore.Merged(obj.Metadata, set)
	if obj.Size > maxCopySize {
		return s.copyMultipart(ctx, obj, obj.Key, meta)
	}
	in := &s3.CopyObjectInput{
		Bucket:            &s.bucket,
		Key:               &obj.Key,
		CopySource:        aws.String(s.copySource(obj.Key)),
		MetadataDirective: types.MetadataDirectiveReplace,
		Metadata:          meta,
	}
	if obj.Version != "" {
		in.CopySourceIfMatch = aws.String(obj.Version)
	}
	s.applyObjectSettings(&in.ServerSideEncryption, &in.SSEKMSKeyId, &in.StorageClass)
	_, err := s.client.CopyObject(ctx, in)
	return classify("set metadata", obj.Key, err)
}

// copyHead starts the multipart upload of a resume and copies the first
// n bytes of obj into it, server side (UploadPartCopy, four ranges at a
// time), as parts 1 to k. On failure the upload is aborted.
func (m *multipart) copyHead(ctx context.Context, obj objstore.Object, n int64) ([]objstore.Part, error) {
	m.plain = true
	if err := m.Begin(ctx); err != nil {
		return nil, err
	}
	// At least four ranges (the store copies them in parallel), each
	// at least 64 MiB and at most S3's 5 GiB part.
	ranges := objstore.Ranges(n, min(max(n/4, 64<<20), maxPartSize))
	parts := make([]objstore.Part, len(ranges))
	err := objstore.ForEach(ctx, len(ranges), 4, func(ctx context.Context, i int) error {
		r := ranges[i]
		in := &s3.UploadPartCopyInput{
			Bucket:          &m.s.bucket,
			Key:             &m.key,
			UploadId:        &m.uploadID,
			PartNumber:      aws.Int32(int32(i + 1)),
			CopySource:      aws.String(m.s.copySource(obj.Key)),
			CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", r[0], r[1]-1)),
		}
		if obj.Version != "" {
			in.CopySourceIfMatch = aws.String(obj.Version)
		}
		res, err := m.s.client.UploadPartCopy(ctx, in)
		if err != nil {
			return classify("resume", obj.Key, err)
		}
		parts[i] = objstore.Part{N: i + 1, Size: r[1] - r[0], ID: aws.ToString(res.CopyPartResult.ETag)}
		return nil
	})
	if err != nil {
		m.Abort(context.WithoutCancel(ctx))
		return nil, err
	}
	return parts, nil
}
