package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// TestS3SIGTERMDuringUploads sends SIGTERM while 10 uploads to S3 are
// running (rate-limited so they are mid-transfer): the process exits 0
// within the shutdown deadline; every upload the client saw succeed is in
// the bucket byte for byte; every other one left nothing, not even an
// unfinished multipart upload.
func TestS3SIGTERMDuringUploads(t *testing.T) {
	curl := testenv.Tool(t, "curl")
	c := s3Cloud(t, "sigterm", "part_size: 5MiB")
	b := startBridge(t, c)
	dir := t.TempDir()
	const n = 10
	type upload struct {
		data []byte
		cmd  *exec.Cmd
		out  bytes.Buffer
		err  error
		done chan struct{}
	}
	ups := make([]*upload, n)
	for i := range ups {
		// Half finish within the 10 s deadline, half cannot.
		size, rate := 6<<20, "4M"
		if i%2 == 1 {
			size, rate = 24<<20, "1M"
		}
		u := &upload{data: randomData(size, uint64(100+i)), done: make(chan struct{})}
		src := filepath.Join(dir, fmt.Sprintf("u%d", i))
		os.WriteFile(src, u.data, 0o600)
		u.cmd = exec.Command(curl, append(b.curlArgs("alice"), "--ftp-create-dirs", "--limit-rate", rate, "-T", src,
			fmt.Sprintf("ftp://%s/term/u%d", b.explicit, i))...)
		u.cmd.Stdout, u.cmd.Stderr = &u.out, &u.out
		if err := u.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { u.err = u.cmd.Wait(); close(u.done) }()
		ups[i] = u
	}
	time.Sleep(time.Second) // all ten are transferring now
	start := time.Now()
	if err := b.stop(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	t.Logf("stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	completed := 0
	for i, u := range ups {
		<-u.done
		key := fmt.Sprintf("alice/term/u%d", i)
		got, rerr := c.read(t, key)
		switch {
		case u.err == nil:
			completed++
			if rerr != nil || !bytes.Equal(got, u.data) {
				t.Errorf("upload %d succeeded for the client but the object is %d bytes (%v), want %d identical", i, len(got), rerr, len(u.data))
			}
		case rerr == nil:
			t.Errorf("upload %d failed for the client (%v) but an object of %d bytes exists", i, u.err, len(got))
		default:
			t.Logf("upload %d ended by the shutdown: %s", i, strings.TrimSpace(u.out.String()))
		}
	}
	if completed == 0 || completed == n {
		t.Errorf("%d of %d uploads completed; the test wants both outcomes", completed, n)
	}
	if p := c.pending(t); p != 0 {
		t.Errorf("%d unfinished multipart uploads after shutdown", p)
	}
	t.Logf("%d of %d uploads completed within the deadline, the others left nothing", completed, n)
}
