package s3

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

// store is objstore.Store over one S3 bucket.
type store struct {
	client *s3.Client
	bucket string
	cfg    Config
	log    *slog.Logger
}

// bounded limits ctx to request_timeout for one metadata request (see
// objstore.Bounded).
func (s *store) bounded(ctx context.Context, op, key string) (context.Context, func(error) error) {
	return objstore.Bounded(ctx, s.cfg.RequestTimeout, "s3", op, key, classify)
}

func (s *store) Head(ctx context.Context, key string) (objstore.Object, error) {
	rctx, done := s.bounded(ctx, "stat", key)
	out, err := s.client.HeadObject(rctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err := done(err); err != nil {
		return objstore.Object{}, err
	}
	return objstore.Object{
		Key:      key,
		Size:     aws.ToInt64(out.ContentLength),
		ModTime:  aws.ToTime(out.LastModified),
		Version:  aws.ToString(out.ETag),
		Metadata: objstore.LowerKeys(out.Metadata),
	}, nil
}

func (s *store) List(ctx context.Context, prefix, token string, limit int) (objstore.Page, error) {
	in := &s3.ListObjectsV2Input{
		Bucket:    &s.bucket,
		Prefix:    aws.String(prefix),
		Delimiter: aws.String("/"),
	}
	if token != "" {
		in.ContinuationToken = aws.String(token)
	}
	if limit > 0 {
		in.MaxKeys = aws.Int32(int32(limit))
	}
	rctx, done := s.bounded(ctx, "list", prefix)
	out, err := s.client.ListObjectsV2(rctx, in)
	if err := done(err); err != nil {
		return objstore.Page{}, err
	}
	page := objstore.Page{
		Objects:  make([]objstore.Object, 0, len(out.Contents)),
		Prefixes: make([]string, 0, len(out.CommonPrefixes)),
	}
	for _, o := range out.Contents {
		page.Objects = append(page.Objects, objstore.Object{
			Key:     aws.ToString(o.Key),
			Size:    aws.ToInt64(o.Size),
			ModTime: aws.ToTime(o.LastModified),
			Version: aws.ToString(o.ETag),
		})
	}
	for _, p := range out.CommonPrefixes {
		page.Prefixes = append(page.Prefixes, aws.ToString(p.Prefix))
	}
	if aws.ToBool(out.IsTruncated) {
		page.Next = aws.ToString(out.NextContinuationToken)
		if page.Next == "" {
			return objstore.Page{}, fmt.Errorf("list %q: store says truncated but gave no continuation token: %w", prefix, backends.ErrTransient)
		}
	}
	return page, nil
}

func (s *store) Get(ctx context.Context, key string, offset, length int64, version string) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: &s.bucket, Key: &key}
	switch {
	case length > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	case offset > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", offset))
	}
	if version != "" {
		in.IfMatch = aws.String(version)
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		return nil, classify("read", key, err)
	}
	return out.Body, nil
}

func (s *store) PutEmpty(ctx context.Context, key string) error {
	in := &s3.PutObjectInput{Bucket: &s.bucket, Key: &key, Body: strings.NewReader(""), ContentLength: aws.Int64(0)}
	s.applyObjectSettings(&in.ServerSideEncryption, &in.SSEKMSKeyId, &in.StorageClass)
	rctx, done := s.bounded(ctx, "mkdir", key)
	_, err := s.client.PutObject(rctx, in)
	return done(err)
}

func (s *store) Create(ctx context.Context, key string, opts objstore.WriteOptions) (backends.Writer, error) {
	up := &multipart{s: s, key: key, meta: opts.Metadata, final: opts.Final}
	popts := s.partOptions()
	if opts.KeepBytes >= objstore.MinServerCopy {
		staged, err := up.copyHead(ctx, opts.Keep, opts.KeepBytes)
		if err != nil {
			return nil, err
		}
		popts.Staged = staged
		return objstore.NewPartWriter(ctx, up, popts), nil
	}
	return objstore.CreateWithHead(ctx, s, objstore.NewPartWriter(ctx, up, popts), opts)
}

func (s *store) partOptions() objstore.PartOptions {
	return objstore.PartOptions{
		PartSize:    int64(s.cfg.PartSize),
		Concurrency: s.cfg.UploadConcurrency,
		MaxParts:    maxParts,
		MaxPartSize: maxPartSize,
		PartTimeout: s.cfg.PartTimeout,
	}
}

func (s *store) Delete(ctx context.Context, key string) error {
	rctx, done := s.bounded(ctx, "delete", key)
	_, err := s.client.DeleteObject(rctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key})
	return done(err)
}

// payloadOptions skip the SHA-256 of the payload in the request
// signature unless sign_payload is set: TLS already protects the bytes
// in transit and the CRC32C or Content-MD5 every upload carries is
// verified by the store, so the hash would cost a full pass over every
// byte (a large share of a 2-core server's upload budget) for nothing.
func (s *store) payloadOptions() []func(*s3.Options) {
	if s.cfg.SignPayload {
		return nil
	}
	return []func(*s3.Options){s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)}
}

// applyObjectSettings sets the encryption and storage class the operator
// configured on a request that creates an object.
func (s *store) applyObjectSettings(sse *types.ServerSideEncryption, kms **string, class *types.StorageClass) {
	if s.cfg.SSE != "" {
		*sse = types.ServerSideEncryption(s.cfg.SSE)
	}
	if s.cfg.SSEKMSKeyID != "" {
		*kms = aws.String(s.cfg.SSEKMSKeyID)
	}
	if s.cfg.StorageClass != "" {
		*class = types.StorageClass(s.cfg.StorageClass)
	}
}

// copySource is the x-amz-copy-source value: bucket and key, with every
// byte outside the unreserved set percent-encoded ("+" included, which
// some stores would otherwise read as a space).
func (s *store) copySource(key string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.WriteString(s.bucket)
	b.WriteByte('/')
	for i := 0; i < len(key); i++ {
		c := key[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// since formats a duration for log lines.
func since(t time.Time) string { return time.Since(t).Round(time.Millisecond).String() }
