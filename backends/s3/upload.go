package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// multipart is objstore.PartUpload for one S3 key.
type multipart struct {
	s        *store
	key      string
	uploadID string
	started  time.Time
	// meta is stored with the object; final adds the digests at the end.
	meta  map[string]string
	final func() map[string]string
	// plain: no CRC32C on this upload (a resume, whose copied parts
	// carry no checksum of ours): parts carry a Content-MD5 instead.
	plain bool

	mu   sync.Mutex
	sums map[int]partSum // by part number, for the full-object CRC
}

type partSum struct {
	crc  uint32
	size int64
}

// fullObject says whether the upload carries a full-object CRC32C.
func (m *multipart) fullObject() bool { return m.useCRC() && m.s.cfg.ChecksumType == "full_object" }

// useCRC says whether parts carry a CRC32C (the store verifies it and
// keeps it) or, for stores that reject the newer checksum headers, a
// Content-MD5: either way a part corrupted in transit is refused.
func (m *multipart) useCRC() bool { return !m.plain && m.s.cfg.RequestChecksum != "when_required" }

func crc32c(data []byte) *string { return crcString(crc32.Checksum(data, castagnoli)) }

func crcString(v uint32) *string {
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], v)
	return aws.String(base64.StdEncoding.EncodeToString(sum[:]))
}

func contentMD5(data []byte) *string {
	sum := md5.Sum(data)
	return aws.String(base64.StdEncoding.EncodeToString(sum[:]))
}

func (m *multipart) PutWhole(ctx context.Context, data []byte) error {
	in := &s3.PutObjectInput{
		Bucket:        &m.s.bucket,
		Key:           &m.key,
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		Metadata:      m.meta,
	}
	if m.final != nil {
		// The whole stream is in hand: its digests go in this request.
		in.Metadata = objstore.Merged(m.meta, m.final())
	}
	if m.useCRC() {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32c
		in.ChecksumCRC32C = crc32c(data)
	} else {
		in.ContentMD5 = contentMD5(data)
	}
	m.s.applyObjectSettings(&in.ServerSideEncryption, &in.SSEKMSKeyId, &in.StorageClass)
	_, err := m.s.client.PutObject(ctx, in, m.s.payloadOptions()...)
	return classify("upload", m.key, err)
}

func (m *multipart) Begin(ctx context.Context) error {
	in := &s3.CreateMultipartUploadInput{Bucket: &m.s.bucket, Key: &m.key, Metadata: m.meta}
	if m.useCRC() {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32c
	}
	if m.fullObject() {
		in.ChecksumType = types.ChecksumTypeFullObject
	}
	m.s.applyObjectSettings(&in.ServerSideEncryption, &in.SSEKMSKeyId, &in.StorageClass)
	rctx, done := m.s.bounded(ctx, "upload", m.key)
	out, err := m.s.client.CreateMultipartUpload(rctx, in)
	if err := done(err); err != nil {
		return err
	}
	m.uploadID = aws.ToString(out.UploadId)
	m.started = time.Now()
	return nil
}

func (m *multipart) UploadPart(ctx context.Context, n int, data []byte) (objstore.Part, error) {
	// The body is a bytes.Reader: seekable, so the SDK can sign it over
	// plain http and rewind it for a retry.
	in := &s3.UploadPartInput{
		Bucket:        &m.s.bucket,
		Key:           &m.key,
		UploadId:      &m.uploadID,
		PartNumber:    aws.Int32(int32(n)),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	}
	if m.useCRC() {
		sum := crc32.Checksum(data, castagnoli)
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32c
		in.ChecksumCRC32C = crcString(sum)
		m.mu.Lock()
		if m.sums == nil {
			m.sums = make(map[int]partSum)
		}
		m.sums[n] = partSum{sum, int64(len(data))}
		m.mu.Unlock()
	} else {
		in.ContentMD5 = contentMD5(data)
	}
	out, err := m.s.client.UploadPart(ctx, in, m.s.payloadOptions()...)
	if err != nil {
		return objstore.Part{}, classify("upload", m.key, err)
	}
	return objstore.Part{ID: aws.ToString(out.ETag), Checksum: aws.ToString(in.ChecksumCRC32C)}, nil
}

func (m *multipart) Complete(ctx context.Context, parts []objstore.Part) error {
	done := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		done[i] = types.CompletedPart{PartNumber: aws.Int32(int32(p.N)), ETag: aws.String(p.ID)}
		if p.Checksum != "" {
			done[i].ChecksumCRC32C = aws.String(p.Checksum)
		}
	}
	in := &s3.CompleteMultipartUploadInput{
		Bucket:          &m.s.bucket,
		Key:             &m.key,
		UploadId:        &m.uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
	}
	if m.fullObject() {
		// The store assembles the parts, computes their CRC and size,
		// and refuses the upload if either differs from what came in.
		full, size, err := m.fullSum(parts)
		if err != nil {
			return err
		}
		in.ChecksumType = types.ChecksumTypeFullObject
		in.ChecksumCRC32C = crcString(full)
		in.MpuObjectSize = aws.Int64(size)
	}
	out, err := m.s.client.CompleteMultipartUpload(ctx, in)
	if err != nil {
		return classify("upload", m.key, err)
	}
	if m.final == nil {
		return nil
	}
	// S3 fixes a multipart upload's metadata when it begins, before
	// the digests are known: they are added by a server-side copy of
	// the new object onto itself, pinned to the ETag just completed.
	obj := objstore.Object{Key: m.key, Size: aws.ToInt64(in.MpuObjectSize), Version: aws.ToString(out.ETag), Metadata: m.meta}
	if obj.Size == 0 {
		head, err := m.s.Head(ctx, m.key)
		if err != nil {
			return err
		}
		obj.Size = head.Size
	}
	if err := m.s.UpdateMetadata(ctx, obj, m.final()); err != nil {
		// The object is whole and committed; only its digests are
		// missing, and HASH then reads it instead.
		m.s.log.Warn("upload committed, but its digests could not be recorded", "key", m.key, "err", err)
	}
	return nil
}

// fullSum folds the parts' CRCs, in order, into the object's.
func (m *multipart) fullSum(parts []objstore.Part) (uint32, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var full uint32
	var size int64
	for _, p := range parts {
		ps, ok := m.sums[p.N]
		if !ok {
			return 0, 0, fmt.Errorf("upload %q: no checksum for part %d", m.key, p.N)
		}
		full = crc32cCombine(full, ps.crc, ps.size)
		size += ps.size
	}
	return full, size, nil
}

func (m *multipart) Abort(ctx context.Context) error {
	if m.uploadID == "" {
		return nil
	}
	rctx, done := m.s.bounded(ctx, "abort", m.key)
	_, err := m.s.client.AbortMultipartUpload(rctx, &s3.AbortMultipartUploadInput{
		Bucket: &m.s.bucket, Key: &m.key, UploadId: &m.uploadID,
	})
	err = done(err)
	if errors.Is(err, backends.ErrNotExist) {
		// NoSuchUpload: a retry of an abort whose first response was
		// lost; the upload is gone either way.
		err = nil
	}
	if err != nil {
		// An upload left behind costs storage until a lifecycle rule
		// (AbortIncompleteMultipartUpload) removes it: say so loudly.
		m.s.log.Error("multipart upload not aborted; it stays until a lifecycle rule removes it",
			"key", m.key, "upload_id", m.uploadID, "err", err)
		return err
	}
	m.s.log.Info("multipart upload aborted", "key", m.key, "upload_id", m.uploadID, "after", since(m.started))
	return nil
}
