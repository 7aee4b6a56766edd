package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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
		// The store's failure, never the 426 of a cut data connection.
		if !strings.Contains(out, "< 451 ") && !strings.Contains(out, "< 550 ") || strings.Contains(out, "< 426 ") {
			t.Errorf("want 451 or 550:\n%s", tail(out))
		}
	})
	t.Run("download-store-fails-mid-body", func(t *testing.T) {
		// The store breaks for good once the client has part of the
		// file, after 150: the reply is the 451 of the storage side (not
		// the 426 of a cut data connection) and the log says storage.
		// curl, which knows the size from SIZE, stops at the short file
		// without reading the reply: the log shows the reply sent.
		before := storageReadFailures(b.Logs())
		got := filepath.Join(dir, "partial.bin")
		cmd := exec.CommandContext(t.Context(), curl, append(b.curlArgs("alice"), "-v", "--limit-rate", "2M",
			"-o", got, "ftp://"+b.explicit+"/whole.bin")...)
		var out lockedBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		for started := false; !started; {
			select {
			case err := <-exited:
				t.Fatalf("the download ended (%v) before the store broke:\n%s", err, tail(out.String()))
			case <-time.After(20 * time.Millisecond):
				fi, err := os.Stat(got)
				started = err == nil && fi.Size() >= 1<<20
			}
		}
		proxy.Set(faultproxy.Fault{CutDownAfter: 100})
		defer proxy.Heal()
		err := <-exited
		if err == nil || strings.Contains(out.String(), "< 226 ") || strings.Contains(out.String(), "< 426 ") {
			t.Fatalf("download whose store broke mid-body: %v, want a failure:\n%s", err, tail(out.String()))
		}
		if fi, err := os.Stat(got); err != nil || fi.Size() >= int64(len(data)) {
			t.Fatalf("the client has the whole file and an error")
		}
		if n := storageReadFailures(b.Logs()); n != before+1 {
			t.Errorf("%d new transfer log lines blaming storage reads, want 1:\n%s", n-before, b.Logs())
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

// storageReadFailures counts the RETR transfer log lines (text or JSON)
// that blame the storage side's reads and replied 451.
func storageReadFailures(logs string) int {
	n := 0
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "RETR") && strings.Contains(line, "storage error") && strings.Contains(line, "storage read:") &&
			(strings.Contains(line, "reply=451") || strings.Contains(line, `"reply":451`)) {
			n++
		}
	}
	return n
}

// lockedBuffer collects a running command's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tail returns the last lines of a client's verbose output.
func tail(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 25 {
		lines = lines[len(lines)-25:]
	}
	return strings.Join(lines, "\n")
}
