package main

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// TestIdentityProviderCurl logs in over FTPS with curl as a partner the
// configuration does not hold: the server asks a real HTTPS provider
// started here, and the partner's mount is the one the provider named.
// A refused password is 530, a failing provider 421; the provider is
// asked once for repeated logins (cache_ttl), and the password never
// reaches the server's log.
func TestIdentityProviderCurl(t *testing.T) {
	curl := testenv.Tool(t, "curl")
	dir := t.TempDir()
	var calls atomic.Int32
	var failing atomic.Bool
	idp := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var req struct{ User, Password, Protocol string }
		json.NewDecoder(r.Body).Decode(&req)
		switch {
		case failing.Load():
			w.WriteHeader(http.StatusBadGateway)
		case req.User == "acme" && req.Password == "s3cret-partner-pw" && req.Protocol == "ftps":
			io.WriteString(w, `{"user": {"backend": "disk", "prefix": "partners/acme/", "permissions": ["*"]}}`)
		default:
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	defer idp.Close()
	ca := filepath.Join(dir, "idp-ca.pem")
	writeFile(t, ca, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: idp.Certificate().Raw})))

	port := testenv.FreePort(t)
	cfgPath := writeConfig(t, dir, port)
	f, err := os.OpenFile(cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "identity: {type: http, url: %q, ca_file: %s, timeout: 5s, cache_ttl: 10m}\n", idp.URL+"/login", ca)
	f.Close()
	_, logs, addr := serveConfig(t, cfgPath, port)

	ftps := []string{"-sS", "--fail", "--ssl-reqd", "--cacert", filepath.Join(dir, "state", "tls", "cert.pem")}
	run := func(args ...string) (string, error) {
		out, err := exec.Command(curl, append(ftps, args...)...).CombinedOutput()
		return string(out), err
	}
	payload := filepath.Join(dir, "payload.txt")
	writeFile(t, payload, "from acme\n")
	if out, err := run("--user", "acme:s3cret-partner-pw", "-T", payload, "ftp://"+addr+"/in.txt"); err != nil {
		t.Fatalf("upload as a provider user: %v\n%s\n%s", err, out, logs)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "files", "partners", "acme", "in.txt")); err != nil || string(got) != "from acme\n" {
		t.Fatalf("stored object: %q %v", got, err)
	}
	if out, err := run("--user", "acme:s3cret-partner-pw", "ftp://"+addr+"/"); err != nil || !strings.Contains(out, "in.txt") {
		t.Fatalf("listing: %v\n%s", err, out)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d provider calls for two logins, want 1 (cache_ttl)", n)
	}
	out, err := run("--user", "acme:wrong", "ftp://"+addr+"/")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(out, "530") {
		t.Fatalf("refused password: %v\n%s", err, out)
	}
	failing.Store(true)
	// -v shows the reply; curl reports 421 on PASS as a failure.
	out, err = run("-v", "--user", "other:pw", "ftp://"+addr+"/")
	if !errors.As(err, &exit) || !strings.Contains(out, "< 421 Login service unavailable; try again later.") {
		t.Fatalf("failing provider: %v\n%s\n%s", err, out, logs)
	}
	waitLog(t, logs, "identity provider unavailable", 1)
	time.Sleep(100 * time.Millisecond)
	if strings.Contains(logs.String(), "s3cret-partner-pw") {
		t.Fatal("the password is in the server's log")
	}
}
