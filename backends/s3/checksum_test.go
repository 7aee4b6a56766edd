package s3

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// recorder is an HTTP client that remembers the checksum headers of every
// request carrying object data (PutObject, UploadPart).
type recorder struct {
	mu      sync.Mutex
	uploads []upload
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
			for _, size := range []int{100, 2*testPartSize + 17} {
				w, err := b.Create(t.Context(), "f")
				if err != nil {
					t.Fatal(err)
				}
				data := bytes.Repeat([]byte("checksum"), size/8+1)[:size]
				w.Write(data)
				if err := w.Commit(); err != nil {
					t.Fatalf("Commit of %d bytes: %v", size, err)
				}
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
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

func b64u32(v uint32) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, v))
}
