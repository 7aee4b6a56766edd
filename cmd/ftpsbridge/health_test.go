package main

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
	"github.com/jlaffaye/ftp"
)

// appendConfig adds lines to a config file writeConfig made.
func appendConfig(t *testing.T, path, text string) {
	t.Helper()
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, string(old)+text)
}

// httpStatus asks url with curl and returns the status code it saw.
func httpStatus(t *testing.T, curl, url string) string {
	t.Helper()
	out, err := exec.Command(curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", url).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %s: %v\n%s", url, err, out)
	}
	return string(out)
}

// waitStatus polls url until it answers want.
func waitStatus(t *testing.T, curl, url, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := httpStatus(t, curl, url)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s, want %s", url, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDrainOnSIGTERM runs the real binary with health.address and a long
// drain_delay. /healthz and /readyz answer 200; at SIGTERM /readyz turns
// 503 while the listener still accepts and logs in new sessions; a
// second SIGTERM ends the delay: the idle sessions get 421, the upload
// that was running finishes whole, the listener closes and the process
// exits 0.
func TestDrainOnSIGTERM(t *testing.T) {
	curl := testenv.Tool(t, "curl")
	dir := t.TempDir()
	port := testenv.FreePort(t)
	healthAddr := testenv.FreeAddr(t)
	cfgPath := writeConfig(t, dir, port)
	appendConfig(t, cfgPath, fmt.Sprintf("health: {address: %s}\n", healthAddr))
	text, _ := os.ReadFile(cfgPath)
	writeFile(t, cfgPath, strings.Replace(string(text), "shutdown_timeout: 20s", "shutdown_timeout: 20s, drain_delay: 10m", 1))

	srv, logs, addr := serveConfig(t, cfgPath, port)
	base := "http://" + healthAddr
	waitStatus(t, curl, base+"/readyz", "200")
	if got := httpStatus(t, curl, base+"/healthz"); got != "200" {
		t.Fatalf("/healthz: %s", got)
	}
	if got := httpStatus(t, curl, base+"/metrics"); got != "404" {
		t.Errorf("/metrics on health.address: %s, want 404", got)
	}

	pool := x509.NewCertPool()
	pemBytes, _ := os.ReadFile(filepath.Join(dir, "state", "tls", "cert.pem"))
	pool.AppendCertsFromPEM(pemBytes)
	dial := func() *ftp.ServerConn {
		t.Helper()
		c, err := ftp.Dial(addr, ftp.DialWithTimeout(10*time.Second),
			ftp.DialWithExplicitTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}))
		if err != nil {
			t.Fatalf("dial: %v\n%s", err, logs.String())
		}
		if err := c.Login("u", "pw"); err != nil {
			t.Fatal(err)
		}
		return c
	}
	idle := dial()
	uploader := dial()
	payload := make([]byte, 2<<20)
	rand.Read(payload)
	started := make(chan struct{}, 1)
	uploaded := make(chan error, 1)
	go func() {
		uploaded <- uploader.Stor("during-drain.bin", &slowReader{r: bytes.NewReader(payload), started: started})
	}()
	<-started

	srv.Process.Signal(syscall.SIGTERM)
	waitStatus(t, curl, base+"/readyz", "503")
	if got := httpStatus(t, curl, base+"/healthz"); got != "200" {
		t.Errorf("/healthz while draining: %s, want 200", got)
	}
	// The delay is ten minutes: the listener is certainly still open.
	late := dial()
	if err := late.NoOp(); err != nil {
		t.Fatalf("a session accepted during the drain: %v", err)
	}

	srv.Process.Signal(syscall.SIGTERM)
	waitLog(t, logs, `"msg":"second signal; ending the drain delay"`, 1)
	var te *textproto.Error
	for name, c := range map[string]*ftp.ServerConn{"idle": idle, "late": late} {
		if err := c.NoOp(); !errors.As(err, &te) || te.Code != 421 {
			t.Errorf("%s session after shutdown: %v, want 421", name, err)
		}
	}
	if err := <-uploaded; err != nil {
		t.Errorf("upload running at SIGTERM: %v", err)
	}
	if err := srv.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, logs.String())
	}
	got, err := os.ReadFile(filepath.Join(dir, "files", "u", "during-drain.bin"))
	if err != nil || !bytes.Equal(got, payload) {
		t.Errorf("upload: %d bytes, %v", len(got), err)
	}
	if out, err := exec.Command(curl, "-sS", base+"/healthz").CombinedOutput(); err == nil {
		t.Errorf("health address still answers after exit: %s", out)
	}
}

// TestDrainDelayEnds: without a second signal the drain delay runs out
// by itself, the server shuts down and exits 0; the health endpoints
// share metrics.address when health.address is empty.
func TestDrainDelayEnds(t *testing.T) {
	curl := testenv.Tool(t, "curl")
	dir := t.TempDir()
	port := testenv.FreePort(t)
	metricsAddr := testenv.FreeAddr(t)
	cfgPath := writeConfig(t, dir, port)
	appendConfig(t, cfgPath, fmt.Sprintf("metrics: {address: %s}\n", metricsAddr))
	text, _ := os.ReadFile(cfgPath)
	writeFile(t, cfgPath, strings.Replace(string(text), "shutdown_timeout: 20s", "shutdown_timeout: 20s, drain_delay: 300ms", 1))

	srv, logs, _ := serveConfig(t, cfgPath, port)
	base := "http://" + metricsAddr
	waitStatus(t, curl, base+"/readyz", "200")
	for _, path := range []string{"/healthz", "/metrics"} {
		if got := httpStatus(t, curl, base+path); got != "200" {
			t.Errorf("%s: %s", path, got)
		}
	}
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, logs.String())
	}
	l := logs.String()
	d, s := strings.Index(l, `"msg":"draining"`), strings.Index(l, `"msg":"shutting down"`)
	if d < 0 || s < d || strings.Contains(l, "second signal") {
		t.Errorf("want draining, then shutting down, by the delay alone:\n%s", l)
	}
}

func TestHealthAddressValidation(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, 2121)
	appendConfig(t, cfgPath, "health: {address: nope}\n")
	out, err := exec.Command(binary(t), "check-config", "--config", cfgPath).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "health.address") {
		t.Errorf("bad health.address: %v\n%s", err, out)
	}
	text, _ := os.ReadFile(filepath.Join(dir, "config.yaml"))
	writeFile(t, cfgPath, strings.Replace(string(text), "shutdown_timeout: 20s", "shutdown_timeout: 20s, drain_delay: -1s", 1))
	out, err = exec.Command(binary(t), "check-config", "--config", cfgPath).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "server.drain_delay") {
		t.Errorf("negative drain_delay: %v\n%s", err, out)
	}
}
