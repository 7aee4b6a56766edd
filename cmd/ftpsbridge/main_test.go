package main

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
	"github.com/jlaffaye/ftp"
	"golang.org/x/crypto/bcrypt"
)

var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "ftpsbridge-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ftpsbridge")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// binary builds the real ftpsbridge binary once per test run.
func binary(t *testing.T) string {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// serveConfig starts `ftpsbridge serve` on cfgPath with JSON logs, waits
// for its banner on 127.0.0.1:port, and kills it when the test ends if it
// is still running. It returns the process, its log and the address.
func serveConfig(t *testing.T, cfgPath string, port int) (*exec.Cmd, *testenv.LogBuffer, string) {
	t.Helper()
	srv := exec.Command(binary(t), "serve", "--config", cfgPath, "--log-format", "json")
	logs := &testenv.LogBuffer{}
	srv.Stderr = logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	testenv.WaitBanner(t, addr)
	return srv, logs, addr
}

func writeConfig(t *testing.T, dir string, port int) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), 10)
	if err != nil {
		t.Fatal(err)
	}
	base := 20000 + int(time.Now().UnixNano()%30000)
	cfg := fmt.Sprintf(`server: {data_dir: %s/state, shutdown_timeout: 20s}
listeners: [{address: 127.0.0.1:%d, tls: explicit}]
passive: {port_range: %d-%d}
backends: [{name: disk, type: local, root: %s/files}]
users:
  - name: u
    password_hash: "%s"
    backend: disk
    prefix: u/
    permissions: ["*"]
`, dir, port, base, base+99, dir, hash)
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckConfig(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	good := writeConfig(t, dir, 2121)
	out, err := exec.Command(bin, "check-config", "--config", good).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("good config: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "check-config").CombinedOutput(); err != nil {
		t.Fatalf("embedded default: %v\n%s", err, out)
	}
	text, _ := os.ReadFile(good)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, bytes.Replace(text, []byte("backend: disk"), []byte("backend: nowhere"), 1), 0o600)
	out, err = exec.Command(bin, "check-config", "--config", bad).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(string(out), "bad.yaml:8:") {
		t.Fatalf("bad config: %v\n%s", err, out)
	}

	// Every problem of every backend, at its key's line and column.
	backends := filepath.Join(dir, "backends.yaml")
	os.WriteFile(backends, bytes.Replace(text, []byte("backends: [{name: disk, type: local, root: "+dir+"/files}]\n"), []byte(`backends:
  - {name: disk, type: local, root: `+dir+`/files}
  - name: store
    type: s3
    endpoint: s3.example
    part_size: 1MiB
  - name: cloud
    type: gcs
    storage_class: nearline
  - {name: blob, type: azure, account_name: acct, block_size: 1KiB}
`), 1), 0o600)
	out, err = exec.Command(bin, "check-config", "--config", backends).CombinedOutput()
	if !errors.As(err, &exit) {
		t.Fatalf("bad backends: %v\n%s", err, out)
	}
	for _, want := range []string{
		"backends.yaml:8:5: backends.1.endpoint: \"s3.example\" must start with https://",
		"backends.yaml:9:5: backends.1.part_size: 1MiB is outside",
		"backends.yaml:12:5: backends.2.storage_class: \"nearline\"",
		"backends.yaml:13:51: backends.3.block_size: 1KiB is outside",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("check-config output lacks %q:\n%s", want, out)
		}
	}
}

func TestHashPasswordAndVersion(t *testing.T) {
	bin := binary(t)
	cmd := exec.Command(bin, "hash-password")
	cmd.Stdin = strings.NewReader("s3cret\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := bcrypt.CompareHashAndPassword(bytes.TrimSpace(out), []byte("s3cret")); err != nil {
		t.Fatalf("hash %q does not verify: %v", out, err)
	}
	out, err = exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "ftpsbridge ") {
		t.Fatalf("version: %q %v", out, err)
	}
}

// TestSIGTERMDuringUploads starts the real binary, runs uploads that are
// still sending when SIGTERM arrives, and checks that each finishes and is
// stored whole, and that the process exits 0.
func TestSIGTERMDuringUploads(t *testing.T) {
	dir := t.TempDir()
	port := testenv.FreePort(t)
	cfgPath := writeConfig(t, dir, port)
	srv, logs, addr := serveConfig(t, cfgPath, port)
	certPool := x509.NewCertPool()
	pemBytes, _ := os.ReadFile(filepath.Join(dir, "state", "tls", "cert.pem"))
	certPool.AppendCertsFromPEM(pemBytes)
	const uploads = 4
	payload := make([]byte, 4<<20)
	rand.Read(payload)
	started := make(chan struct{}, uploads)
	errs := make(chan error, uploads)
	for i := 0; i < uploads; i++ {
		go func() {
			c, err := ftp.Dial(addr, ftp.DialWithExplicitTLS(&tls.Config{RootCAs: certPool, ServerName: "127.0.0.1"}))
			if err != nil {
				errs <- err
				return
			}
			defer c.Quit()
			if err := c.Login("u", "pw"); err != nil {
				errs <- err
				return
			}
			// A slow reader: the upload is still running at SIGTERM.
			r := &slowReader{r: bytes.NewReader(payload), started: started}
			errs <- c.Stor(fmt.Sprintf("up%d.bin", i), r)
		}()
	}
	for i := 0; i < uploads; i++ {
		<-started
	}
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < uploads; i++ {
		if err := <-errs; err != nil {
			t.Errorf("upload: %v", err)
		}
	}
	if err := srv.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, logs.String())
	}
	for i := 0; i < uploads; i++ {
		got, err := os.ReadFile(filepath.Join(dir, "files", "u", fmt.Sprintf("up%d.bin", i)))
		if err != nil || !bytes.Equal(got, payload) {
			t.Errorf("up%d.bin: %d bytes, %v", i, len(got), err)
		}
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("still accepting after shutdown")
	}
}

type slowReader struct {
	r       io.Reader
	started chan<- struct{}
	once    sync.Once
}

func (s *slowReader) Read(p []byte) (int, error) {
	s.once.Do(func() { s.started <- struct{}{} })
	time.Sleep(5 * time.Millisecond)
	return s.r.Read(p[:min(len(p), 64<<10)])
}
