package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ftpsbridge/ftpsbridge/internal/events"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// TestEventsEndToEnd runs the binary with a webhook target served by the
// test: one curl upload from 127.0.0.9 produces exactly one upload event
// naming the user, client address, backend, bucket, key and size, signed
// with the secret; a wrong password produces login_failed. The events
// are counted in /metrics.
func TestEventsEndToEnd(t *testing.T) {
	curl := testenv.Tool(t, "curl")
	const secret = "end-to-end-webhook-secret"
	got := make(chan events.Event, 100)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := events.Verify(secret, r.Header.Get(events.SignatureHeader), body, time.Now(), time.Minute); err != nil {
			t.Errorf("signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev events.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("body: %v: %s", err, body)
		}
		got <- ev
	}))
	defer hook.Close()

	dir := t.TempDir()
	port := testenv.FreePort(t)
	metricsAddr := testenv.FreeAddr(t)
	cfgPath := writeEventsConfig(t, dir, port, hook.URL, secret, metricsAddr)
	srv, logs, addr := serveConfig(t, cfgPath, port)

	ftps := []string{"-sS", "--fail", "--ssl-reqd", "--interface", "127.0.0.9", "--cacert", filepath.Join(dir, "state", "tls", "cert.pem")}
	payload := filepath.Join(dir, "payload.csv")
	writeFile(t, payload, strings.Repeat("y", 4321))
	if out, err := exec.Command(curl, append(ftps, "--user", "u:pw", "--ftp-create-dirs", "-T", payload, "ftp://"+addr+"/in/p.csv")...).CombinedOutput(); err != nil {
		t.Fatalf("upload: %v\n%s", err, out)
	}
	if out, err := exec.Command(curl, append(ftps, "--user", "u:wrong", "ftp://"+addr+"/")...).CombinedOutput(); err == nil {
		t.Fatalf("a wrong password logged in\n%s", out)
	}

	byKind := map[string][]events.Event{}
	for len(byKind["upload"]) == 0 || len(byKind["login_failed"]) == 0 {
		select {
		case ev := <-got:
			byKind[ev.Kind] = append(byKind[ev.Kind], ev)
		case <-time.After(30 * time.Second):
			t.Fatalf("events so far %+v\n%s", byKind, logs.String())
		}
	}
	up := byKind["upload"][0]
	if up.User != "u" || up.Backend != "disk" || up.Bucket != "inbox" || up.Key != "u/in/p.csv" ||
		up.Path != "/in/p.csv" || up.Size == nil || *up.Size != 4321 || up.Command != "STOR" ||
		!strings.HasPrefix(up.Client, "127.0.0.9:") || up.Session == "" || up.ID == "" {
		t.Errorf("upload event %+v", up)
	}
	lf := byKind["login_failed"][0]
	if lf.User != "u" || !strings.HasPrefix(lf.Client, "127.0.0.9:") || lf.Reason != "bad_credentials" {
		t.Errorf("login_failed event %+v", lf)
	}

	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		scrape, err := exec.Command(curl, "-sS", "--fail", "http://"+metricsAddr+"/metrics").CombinedOutput()
		if err != nil {
			t.Fatalf("scraping: %v\n%s", err, scrape)
		}
		if strings.Contains(string(scrape), `ftpsbridge_events_sent_total{target="hook"} 2`+"\n") &&
			strings.Contains(string(scrape), `ftpsbridge_events_queued{target="hook",where="spool"} 0`+"\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("event metrics missing:\n%s", scrape)
		}
	}

	// Stopping flushes: anything else queued arrives before exit, and
	// there is no second upload event.
	srv.Process.Signal(syscall.SIGTERM)
	srv.Wait()
	close(got)
	for ev := range got {
		byKind[ev.Kind] = append(byKind[ev.Kind], ev)
	}
	if n := len(byKind["upload"]); n != 1 {
		t.Errorf("%d upload events, want exactly 1: %+v", n, byKind["upload"])
	}
	if !strings.Contains(logs.String(), "events flushed") {
		t.Errorf("no flush at stop:\n%s", logs.String())
	}
}

func writeEventsConfig(t *testing.T, dir string, port int, hookURL, secret, metricsAddr string) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), 10)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "files", "inbox"), 0o700)
	base := 20000 + int(time.Now().UnixNano()%30000)
	cfg := fmt.Sprintf(`server: {data_dir: %s/state, shutdown_timeout: 20s}
listeners: [{address: 127.0.0.1:%d, tls: explicit}]
passive: {port_range: %d-%d}
metrics: {address: %s}
backends: [{name: disk, type: local, root: %s/files}]
users:
  - name: u
    password_hash: "%s"
    backend: disk
    bucket: inbox
    prefix: u/
    permissions: ["*"]
events:
  - name: hook
    url: %s
    secret: %s
    kinds: [upload, upload_failed, login_failed]
`, dir, port, base, base+99, metricsAddr, dir, hash, hookURL, secret)
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEventsSurviveRestart: with the receiver down, an upload's event is
// spooled under data_dir; SIGTERM leaves it there; the next start sends
// it, the same event (same id), once the receiver answers.
func TestEventsSurviveRestart(t *testing.T) {
	curl := testenv.Tool(t, "curl")
	const secret = "end-to-end-webhook-secret"
	var up atomic.Bool
	got := make(chan events.Event, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var ev events.Event
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &ev)
		got <- ev
	}))
	defer hook.Close()

	dir := t.TempDir()
	port := testenv.FreePort(t)
	cfgPath := writeEventsConfig(t, dir, port, hook.URL, secret, testenv.FreeAddr(t))
	srv, logs, addr := serveConfig(t, cfgPath, port)
	ftps := []string{"-sS", "--fail", "--ssl-reqd", "--cacert", filepath.Join(dir, "state", "tls", "cert.pem")}
	payload := filepath.Join(dir, "payload.csv")
	writeFile(t, payload, "kept across a restart\n")
	if out, err := exec.Command(curl, append(ftps, "--user", "u:pw", "-T", payload, "ftp://"+addr+"/r.csv")...).CombinedOutput(); err != nil {
		t.Fatalf("upload: %v\n%s", err, out)
	}
	spoolDir := filepath.Join(dir, "state", "events", "hook")
	var spooled []string
	for deadline := time.Now().Add(60 * time.Second); len(spooled) == 0; time.Sleep(50 * time.Millisecond) {
		spooled, _ = filepath.Glob(filepath.Join(spoolDir, "*.json"))
		if time.Now().After(deadline) {
			t.Fatalf("nothing spooled in %s\n%s", spoolDir, logs.String())
		}
	}
	srv.Process.Signal(syscall.SIGTERM)
	srv.Wait()
	body, err := os.ReadFile(spooled[0])
	if err != nil {
		t.Fatalf("spooled event gone after stop: %v\n%s", err, logs.String())
	}
	var want events.Event
	if err := json.Unmarshal(body, &want); err != nil || want.Kind != "upload" || want.Key != "u/r.csv" {
		t.Fatalf("spooled %s: %v", body, err)
	}

	up.Store(true)
	_, logs2, _ := serveConfig(t, cfgPath, port)
	select {
	case ev := <-got:
		if ev.ID != want.ID || ev.Kind != "upload" || ev.Key != "u/r.csv" {
			t.Errorf("after restart got %+v, want id %s", ev, want.ID)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("spooled event not sent after restart\n%s", logs2.String())
	}
}
