package s3

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

// maxCopySize is the largest object CopyObject copies in one request;
// above it the copy is a multipart upload of UploadPartCopy ranges.
// (Variables only so that a test can exercise the multipart path with
// small objects.)
var maxCopySize int64 = 5 << 30

// copyPartSize is the range of one UploadPartCopy: large, since the bytes
// never leave the store, and growing so 10,000 parts cover 5 TiB.
var copyPartSize int64 = 512 << 20

func (s *store) Copy(ctx context.Context, src objstore.Object, dst string) error {
	if src.Size > maxCopySize {
		return s.copyMultipart(ctx, src, dst, src.Metadata)
	}
	in := &s3.CopyObjectInput{
		Bucket:            &s.bucket,
		Key:               &dst,
		CopySource:        aws.String(s.copySource(src.Key)),
		MetadataDirective: types.MetadataDirectiveCopy,
	}
	if src.Version != "" {
		in.CopySourceIfMatch = aws.String(src.Version)
	}
	s.applyObjectSettings(&in.ServerSideEncryption, &in.SSEKMSKeyId, &in.StorageClass)
	_, err := s.client.CopyObject(ctx, in)
	return classify("copy", src.Key, err)
}

// copyMultipart copies an object above 5 GiB range by range, four ranges
// at a time, aborting the upload on any failure. The copy gets meta (a
// multipart upload copies no metadata of its own).
func (s *store) copyMultipart(ctx context.Context, src objstore.Object, dst string, meta map[string]string) error {
	part := max(copyPartSize, (src.Size+maxParts-1)/maxParts)
	m := &multipart{s: s, key: dst}
	// Copied parts carry the source's checksums, not ones we computed.
	begin := &s3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &dst, Metadata: meta}
	s.applyObjectSettings(&begin.ServerSideEncryption, &begin.SSEKMSKeyId, &begin.StorageClass)
	out, err := s.client.CreateMultipartUpload(ctx, begin)
	if err != nil {
		return classify("copy", dst, err)
	}
	m.uploadID = aws.ToString(out.UploadId)

	n := int((src.Size + part - 1) / part)
	parts := make([]types.CompletedPart, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range n {
		first := int64(i) * part
		last := min(first+part, src.Size) - 1
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			in := &s3.UploadPartCopyInput{
				Bucket:          &s.bucket,
				Key:             &dst,
				UploadId:        &m.uploadID,
				PartNumber:      aws.Int32(int32(i + 1)),
				CopySource:      aws.String(s.copySource(src.Key)),
				CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", first, last)),
			}
			if src.Version != "" {
				in.CopySourceIfMatch = aws.String(src.Version)
			}
			res, err := s.client.UploadPartCopy(ctx, in)
			if err != nil {
				errs[i] = classify("copy", src.Key, err)
				return
			}
			parts[i] = types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: res.CopyPartResult.ETag}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			m.Abort(context.WithoutCancel(ctx))
			return err
		}
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &s.bucket, Key: &dst, UploadId: &m.uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		m.Abort(context.WithoutCancel(ctx))
		return classify("copy", dst, err)
	}
	return nil
}
