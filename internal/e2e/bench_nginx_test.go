package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// nginxBinary finds Debian's nginx, which lives in /usr/sbin (not on the
// PATH of an ordinary user).
func nginxBinary(tb testing.TB) string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	testenv.Missing(tb, "nginx")
	return ""
}

// startNginx runs nginx as the relay a web operator would put in front of
// a bucket: TLS 1.3 on 127.0.0.1 with the bridge's certificate (so every
// download contender does the same handshake), proxying one location to a
// presigned GET of key over plain HTTP. One worker, as one download is
// served by one worker anyway. Buffering is on, as by default, but never
// to a temporary file: a client slower than the store holds the store
// back (the bridge does the same) instead of having nginx write the
// object to disk. It returns the URL to fetch.
func startNginx(tb testing.TB, bin string, client *s3.Client, bucket, key string, br *bridge) string {
	get, err := s3.NewPresignClient(client).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key}, s3.WithPresignExpires(12*time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	addr := testenv.FreeAddr(tb)
	conf := fmt.Sprintf(`daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    server {
        listen %[2]s ssl;
        ssl_certificate %[3]s;
        ssl_certificate_key %[4]s;
        ssl_protocols TLSv1.3;
        location = /big.bin {
            proxy_pass "%[5]s";
            proxy_http_version 1.1;
            proxy_buffers 8 64k;
            proxy_max_temp_file_size 0;
        }
        location = /empty.bin { return 200 ""; }
    }
}
`, dir, addr, br.certFile, filepath.Join(filepath.Dir(br.certFile), "key.pem"), get.URL)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", path)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tb.Cleanup(func() {
		// SIGTERM, not SIGKILL: the master stops its worker first.
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	url := "https://" + addr + "/big.bin"
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := exec.Command("curl", "-sS", "--fail", "--cacert", br.certFile, "-o", "/dev/null", "https://"+addr+"/empty.bin").Run()
		if err == nil {
			return url
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			tb.Fatalf("nginx exited: %v\n%s%s", err, out, log)
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("nginx did not answer on %s: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
