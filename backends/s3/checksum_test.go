package s3

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// recorder is an HTTP client that remembers the checksum headers of every
// request carrying object data (PutObject, UploadPart).
type recorder struct {
	mu        sync.Mutex
	uploads   []upload
	completes []http.Header
}

type upload struct {
	partNumber string
	crc, md5   string
	body       []byte
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut && req.Header.Get("X-Amz-Copy-Source") == "" && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		r.mu.Lock()
		r.uploads = append(r.uploads, upload{
			partNumber: req.URL.Query().Get("partNumber"),
			crc:        req.Header.Get("X-Amz-Checksum-Crc32c"),
			md5:        req.Header.Get("Content-Md5"),
			body:       body,
		})
		r.mu.Unlock()
	}
	if req.Method == http.MethodPost && req.URL.Query().Has("uploadId") {
		r.mu.Lock()
		r.completes = append(r.completes, req.Header.Clone())
		r.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestUploadsCarryChecksums: every part and every single-request upload
// carries a checksum of its bytes for the store to verify: CRC32C by
// default, Content-MD5 with request_checksum: when_required.
func TestUploadsCarryChecksums(t *testing.T) {
	srv := testenv.StartS3(t)
	for _, mode := range []string{"when_supported", "when_required"} {
		t.Run(mode, func(t *testing.T) {
			rec := &recorder{}
			be, err := newBackend(Config{
				Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true,
				AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey,
				PartSize: testPartSize, RequestChecksum: mode,
			}, rec)
			if err != nil {
				t.Fatal(err)
			}
			bucket := "sums-" + strings.ReplaceAll(mode, "_", "-")
			if _, err := be.client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
				t.Fatal(err)
			}
			b, _ := be.Bucket(bucket)
			var data []byte
			for _, size := range []int{100, 2*testPartSize + 17} {
				w, err := b.Create(t.Context(), "f", backends.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				data = bytes.Repeat([]byte("checksum"), size/8+1)[:size]
				w.Write(data)
				if err := w.Commit(); err != nil {
					t.Fatalf("Commit of %d bytes: %v", size, err)
				}
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.completes) != 1 {
				t.Fatalf("%d CompleteMultipartUpload requests, want 1", len(rec.completes))
			}
			// By default the whole object's CRC32C and size go with the
			// completion, and the store keeps that checksum.
			c := rec.completes[0]
			head, err := be.client.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("f"), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			switch mode {
			case "when_supported":
				if got, want := c.Get("X-Amz-Checksum-Crc32c"), *crc32c(data); got != want {
					t.Errorf("full-object CRC32C sent %q, want %q", got, want)
				}
				if got := c.Get("X-Amz-Checksum-Type"); got != "FULL_OBJECT" {
					t.Errorf("checksum type sent %q, want FULL_OBJECT", got)
				}
				if got, want := c.Get("X-Amz-Mp-Object-Size"), strconv.Itoa(len(data)); got != want {
					t.Errorf("object size sent %q, want %q", got, want)
				}
				if head.ChecksumType != types.ChecksumTypeFullObject || aws.ToString(head.ChecksumCRC32C) != *crc32c(data) {
					t.Errorf("stored checksum %s %q, want FULL_OBJECT %q", head.ChecksumType, aws.ToString(head.ChecksumCRC32C), *crc32c(data))
				}
			case "when_required":
				if got := c.Get("X-Amz-Checksum-Type") + c.Get("X-Amz-Checksum-Crc32c"); got != "" {
					t.Errorf("checksum headers %q on completion with when_required", got)
				}
			}
			if len(rec.uploads) != 1+3 {
				t.Fatalf("%d data requests, want 1 PutObject and 3 parts", len(rec.uploads))
			}
			for _, u := range rec.uploads {
				switch mode {
				case "when_supported":
					if u.crc != *crc32c(u.body) {
						t.Errorf("part %q: CRC32C header %q, want %q", u.partNumber, u.crc, *crc32c(u.body))
					}
				case "when_required":
					if u.md5 != *contentMD5(u.body) {
						t.Errorf("part %q: Content-MD5 %q, want %q", u.partNumber, u.md5, *contentMD5(u.body))
					}
				}
			}
		})
	}
}

// TestCorruptPartRefused: the store checks the checksum we send, so a
// part whose bytes do not match it is refused, and classified as a
// transient failure (the transfer fails with 451; nothing is stored).
func TestCorruptPartRefused(t *testing.T) {
	f := newFixture(t, Config{PartSize: testPartSize})
	bucket := f.newBucketName(t)
	st := &store{client: f.be.client, bucket: bucket, cfg: f.be.cfg, log: f.be.log}
	m := &multipart{s: st, key: "corrupt"}
	if err := m.Begin(t.Context()); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte{1}, testPartSize)
	wrong := crc32.Checksum(append([]byte{2}, data[1:]...), castagnoli)
	_, err := f.be.client.UploadPart(t.Context(), &s3.UploadPartInput{
		Bucket: &bucket, Key: aws.String("corrupt"), UploadId: &m.uploadID, PartNumber: aws.Int32(1),
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
		ChecksumAlgorithm: "CRC32C", ChecksumCRC32C: aws.String(b64u32(wrong)),
	})
	if err == nil {
		t.Fatal("a part with a wrong CRC32C was accepted")
	}
	if got := classify("upload", "corrupt", err); !errors.Is(got, backends.ErrTransient) {
		t.Errorf("classified as %v, want ErrTransient", got)
	}
	if err := m.Abort(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := f.pendingUploads(t, bucket); n != 0 {
		t.Errorf("%d pending uploads after abort", n)
	}
}

// TestWrongFullObjectChecksumRefused: a completion whose full-object
// CRC32C does not match the assembled parts is refused, and nothing is
// stored; the abort that follows leaves no pending upload.
func TestWrongFullObjectChecksumRefused(t *testing.T) {
	f := newFixture(t, Config{PartSize: testPartSize})
	bucket := f.newBucketName(t)
	st := &store{client: f.be.client, bucket: bucket, cfg: f.be.cfg, log: f.be.log}
	m := &multipart{s: st, key: "whole"}
	if err := m.Begin(t.Context()); err != nil {
		t.Fatal(err)
	}
	var parts []objstore.Part
	for n := 1; n <= 2; n++ {
		p, err := m.UploadPart(t.Context(), n, bytes.Repeat([]byte{byte(n)}, testPartSize))
		if err != nil {
			t.Fatal(err)
		}
		p.N = n
		parts = append(parts, p)
	}
	// Tamper with part 2's remembered CRC: each part was accepted on its
	// own checksum, so only the full-object check can catch it.
	m.sums[2] = partSum{m.sums[2].crc ^ 1, m.sums[2].size}
	err := m.Complete(t.Context(), parts)
	if err == nil {
		t.Fatal("a completion with a wrong full-object CRC32C was accepted")
	}
	if !errors.Is(err, backends.ErrTransient) {
		t.Errorf("refused completion classified as %v, want ErrTransient (451)", err)
	}
	if _, err := f.be.client.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("whole")}); err == nil {
		t.Error("the object exists after a refused completion")
	}
	if err := m.Abort(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := f.pendingUploads(t, bucket); n != 0 {
		t.Errorf("%d pending uploads after abort", n)
	}
}

func b64u32(v uint32) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, v))
}
