package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// cloud is one store under test, seen from outside ftpsbridge.
type cloud struct {
	// backend is the YAML of the backends entry (without name), and
	// bucket the bucket users map to.
	backend string
	bucket  string
	// read returns the object at key as stored, through the SDK.
	read func(t *testing.T, key string) ([]byte, error)
	// put stores an object through the SDK, bypassing ftpsbridge.
	put func(t *testing.T, key string, data []byte)
	// pending counts unfinished multipart uploads or uncommitted blocks
	// (-1 when the store keeps none visible).
	pending func(t *testing.T) int
}

var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "ftpsbridge-e2e-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ftpsbridge")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/ftpsbridge/ftpsbridge/cmd/ftpsbridge").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// bridge is a running ftpsbridge process.
type bridge struct {
	explicit string // host:port of the explicit FTPS listener
	implicit string
	certFile string // the self-signed certificate it generated
	logs     *testenv.LogBuffer
	pid      int
	// stop sends SIGTERM once and returns how the process exited.
	stop func() error
}

func (b *bridge) Logs() string { return b.logs.String() }

const password = "e2e-secret-pw"

var hashOnce = sync.OnceValue(func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(password), 10)
	if err != nil {
		panic(err)
	}
	return string(h)
})

// startBridge runs the binary with c as the only backend and users alice
// (prefix alice/) and bob (prefix bob/) on c.bucket, both with every
// permission.
// bridgeOptions adjust the generated configuration.
type bridgeOptions struct {
	server       string // extra keys of the server mapping, "k: v, k: v"
	passivePorts int    // size of the passive range (default 200)
	// users are more entries of the users list, one flow mapping a line
	// ("{name: ..., ...}"), with the password of alice and bob.
	users []string
}

func startBridge(t testing.TB, c *cloud, opts ...func(*bridgeOptions)) *bridge {
	t.Helper()
	o := bridgeOptions{passivePorts: 200}
	for _, f := range opts {
		f(&o)
	}
	extra := ""
	if o.server != "" {
		extra = ", " + o.server
	}
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	explicit, implicit := testenv.FreeAddr(t), testenv.FreeAddr(t)
	base := 20000 + rand.IntN(30000-o.passivePorts)
	cfg := fmt.Sprintf(`server: {data_dir: %s, idle_timeout: 2m, shutdown_timeout: 10s%s}
listeners: [{address: %s, tls: explicit}, {address: %s, tls: implicit}]
passive: {port_range: %d-%d}
backends:
  - name: cloud
%s
users:
  - {name: alice, password_hash: "%s", backend: cloud, bucket: %s, prefix: alice/, permissions: [list, download, upload, overwrite, delete, rename, mkdir]}
  - {name: bob, password_hash: "%s", backend: cloud, bucket: %s, prefix: bob/, permissions: [list, download, upload, overwrite, delete, rename, mkdir]}
`, dir, extra, explicit, implicit, base, base+o.passivePorts-1, indent(c.backend, "    "), hashOnce(), c.bucket, hashOnce(), c.bucket)
	for _, u := range o.users {
		cfg += "  - " + u + "\n"
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", path)
	b := &bridge{explicit: explicit, implicit: implicit, certFile: filepath.Join(dir, "tls", "cert.pem"),
		logs: &testenv.LogBuffer{}}
	cmd.Stdout = b.logs
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b.stop = sync.OnceValue(func() error {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			return fmt.Errorf("ftpsbridge did not stop within 30s of SIGTERM")
		}
	})
	t.Cleanup(func() {
		if err := b.stop(); err != nil {
			t.Errorf("ftpsbridge on SIGTERM: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", b.Logs())
		}
	})
	b.pid = cmd.Process.Pid
	testenv.WaitBanner(t, explicit)
	return b
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

// run runs a client with a deadline and returns its combined output.
func run(t testing.TB, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// curlArgs are the options of every curl call: TLS required on control
// and data, the generated certificate trusted, alice's credentials.
func (b *bridge) curlArgs(user string) []string {
	return []string{"-sS", "--fail", "--ssl-reqd", "--cacert", b.certFile, "--user", user + ":" + password}
}

// lftp runs one lftp command line as user, failing the test on error.
func (b *bridge) lftp(t *testing.T, user, script string) string {
	t.Helper()
	lftp := testenv.Tool(t, "lftp")
	settings := "set cmd:fail-exit true; set net:max-retries 1; set net:timeout 30; " +
		"set ftp:ssl-force true; set ftp:ssl-protect-data true; set ftp:ssl-protect-list true; " +
		"set ssl:ca-file " + b.certFile + "; set ssl:check-hostname true; "
	out, err := run(t, []string{"HOME=" + t.TempDir()}, lftp, "-u", user+","+password, "-e", settings+script+"; bye", "ftp://"+b.explicit)
	if err != nil {
		t.Fatalf("lftp %q: %v\n%s", script, err, out)
	}
	return out
}

func randomData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed*31+7))
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(r.Uint32())
	}
	return out
}

func sum(b []byte) string { return fmt.Sprintf("%x", sha256.Sum256(b)) }
