package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ftpsbridge/ftpsbridge/internal/faultproxy"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// TestS3Faults runs the binary against versitygw through a fault proxy:
// when the store breaks mid-transfer the FTP client gets 451 or 426 with
// a clear message, nothing partial is visible, and the server goes on
// serving once the store is back.
func TestS3Faults(t *testing.T) {
	curl := testenv.Tool(t, "curl")
	srv := testenv.StartS3(t)
	proxy := faultproxy.Start(t, strings.TrimPrefix(srv.Endpoint, "http://"))
	client := s3.New(s3.Options{
		Region: srv.Region, BaseEndpoint: aws.String(srv.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	})
	bucket := "faults"
	if _, err := client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	b := startBridge(t, &cloud{bucket: bucket, backend: fmt.Sprintf(`type: s3
endpoint: http://%s
region: %s
path_style: true
access_key_id: %s
secret_access_key: %s
part_size: 5MiB
upload_concurrency: 2
part_timeout: 5s
max_attempts: 2`, proxy.Addr, srv.Region, srv.AccessKey, srv.SecretKey)})
	exists := func(key string) bool {
		_, err := client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
		return err == nil
	}
	pending := func() int {
		out, err := client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: &bucket})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Uploads)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src.bin")
	data := randomData(16<<20, 5)
	os.WriteFile(src, data, 0o600)
	// The failing uploads are a part and a bit (6 MiB): small enough that
	// curl has sent everything into the server's buffers before the store
	// fails, so it is waiting for the reply and shows it. (A client still
	// sending when the server drops the data connection fails on the send
	// and, like curl, never reads the 451.)
	small := filepath.Join(dir, "small.bin")
	os.WriteFile(small, data[:6<<20], 0o600)

	t.Run("upload-store-cuts", func(t *testing.T) {
		proxy.Set(faultproxy.Fault{CutUpAfter: 2 << 20})
		defer proxy.Heal()
		out, err := run(t, nil, curl, append(b.curlArgs("alice"), "-v", "-T", small, "ftp://"+b.explicit+"/cut.bin")...)
		if err == nil {
			t.Fatalf("upload through a store that keeps failing succeeded:\n%s", out)
		}
		if !strings.Contains(out, "< 451 ") {
			t.Errorf("want a 451 reply:\n%s", tail(out))
		}
		proxy.Heal()
		if exists("alice/cut.bin") || pending() != 0 {
			t.Errorf("after the failed upload: object exists %v, %d unfinished uploads", exists("alice/cut.bin"), pending())
		}
	})
	t.Run("upload-store-stalls", func(t *testing.T) {
		proxy.Set(faultproxy.Fault{StallUpAfter: 1 << 20})
		defer proxy.Heal()
		out, err := run(t, nil, curl, append(b.curlArgs("alice"), "-v", "-T", small, "ftp://"+b.explicit+"/stall.bin")...)
		if err == nil || !strings.Contains(out, "< 451 ") {
			t.Fatalf("upload through a stalled store: %v, want 451:\n%s", err, tail(out))
		}
		proxy.Heal()
		if exists("alice/stall.bin") || pending() != 0 {
			t.Errorf("after the stalled upload: object exists %v, %d unfinished uploads", exists("alice/stall.bin"), pending())
		}
	})
	t.Run("download-store-cuts", func(t *testing.T) {
		if out, err := run(t, nil, curl, append(b.curlArgs("alice"), "-T", src, "ftp://"+b.explicit+"/whole.bin")...); err != nil {
			t.Fatalf("upload: %v\n%s", err, out)
		}
		// Every store connection breaks before its first body byte.
		proxy.Set(faultproxy.Fault{CutDownAfter: 100})
		defer proxy.Heal()
		got := filepath.Join(dir, "got.bin")
		out, err := run(t, nil, curl, append(b.curlArgs("alice"), "-v", "-o", got, "ftp://"+b.explicit+"/whole.bin")...)
		if err == nil {
			t.Fatalf("download through a broken store succeeded:\n%s", tail(out))
		}
		if !strings.Contains(out, "< 451 ") && !strings.Contains(out, "< 426 ") && !strings.Contains(out, "< 550 ") {
			t.Errorf("want 451, 426 or 550:\n%s", tail(out))
		}
	})
	t.Run("download-resumes-after-cut", func(t *testing.T) {
		// One store connection breaks mid-body: the server resumes the
		// read from the byte reached and the client never notices.
		proxy.Set(faultproxy.Fault{CutDownAfter: 6 << 20, Times: 1})
		defer proxy.Heal()
		var got bytes.Buffer
		out, err := run(t, nil, curl, append(b.curlArgs("alice"), "-o", filepath.Join(dir, "resumed.bin"), "ftp://"+b.explicit+"/whole.bin")...)
		if err != nil {
			t.Fatalf("download with one cut: %v\n%s", err, out)
		}
		f, _ := os.Open(filepath.Join(dir, "resumed.bin"))
		io.Copy(&got, f)
		f.Close()
		if sum(got.Bytes()) != sum(data) {
			t.Fatalf("download after a store cut: %d bytes, want %d identical", got.Len(), len(data))
		}
	})
	t.Run("serves-after-recovery", func(t *testing.T) {
		proxy.Heal()
		if out, err := run(t, nil, curl, append(b.curlArgs("alice"), "-T", src, "ftp://"+b.explicit+"/after.bin")...); err != nil {
			t.Fatalf("upload after recovery: %v\n%s", err, out)
		}
		if !exists("alice/after.bin") {
			t.Fatal("object missing after a successful upload")
		}
	})
}

// tail returns the last lines of a client's verbose output.
func tail(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 25 {
		lines = lines[len(lines)-25:]
	}
	return strings.Join(lines, "\n")
}
