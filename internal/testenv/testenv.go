// Package testenv starts the real storage servers the tests run against
// (versitygw for S3, fake-gcs-server for GCS, Azurite for Azure Blob), each
// on 127.0.0.1 with a free port and its own temporary data, and stops them
// when the test ends. It is for tests only.
//
// The servers are installed by scripts/test-deps.sh into .tools/ at the
// module root. When CI=true or FTPSBRIDGE_REQUIRE_CLIENTS=1 (as under
// `make test`) a missing server fails the test; otherwise it skips.
package testenv

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Required reports whether missing tools must fail rather than skip.
func Required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("FTPSBRIDGE_REQUIRE_CLIENTS") == "1"
}

// Missing fails or skips the test for a tool that is not installed.
func Missing(t testing.TB, what string) {
	t.Helper()
	msg := fmt.Sprintf("%s is not installed; run `make test-deps` (scripts/test-deps.sh)", what)
	if Required() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Tool returns the path of a client on PATH (curl, lftp, openssl), or
// fails or skips the test as Missing does.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name)
	}
	return p
}

var moduleRoot = sync.OnceValue(func() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
})

// ToolsDir is where scripts/test-deps.sh installs the servers.
func ToolsDir() string { return filepath.Join(moduleRoot(), ".tools") }

// findBinary looks in .tools/bin, then GOPATH/bin, then PATH.
func findBinary(name string) string {
	candidates := []string{filepath.Join(ToolsDir(), "bin", name)}
	if gopath := os.Getenv("GOPATH"); gopath != "" {
		candidates = append(candidates, filepath.Join(gopath, "bin", name))
	}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, "go", "bin", name))
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

// FreePort returns a port on 127.0.0.1 that was free a moment ago.
// FreeAddr is FreePort as a 127.0.0.1:PORT address.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
}

// WaitBanner waits until an FTP server at addr sends its 220 greeting.
func WaitBanner(t testing.TB, addr string) {
	t.Helper()
	WaitProxiedBanner(t, addr, nil)
}

// WaitProxiedBanner is WaitBanner for a server that wants a PROXY protocol
// header first: it sends header on every connection it tries.
func WaitProxiedBanner(t testing.TB, addr string, header []byte) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.SetDeadline(time.Now().Add(5 * time.Second))
			if header != nil {
				c.Write(header)
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "220") {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no FTP server answering on %s", addr)
}

func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProcess runs a server until the test ends and waits until addr
// accepts connections.
func startProcess(t testing.TB, addr string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cancel()
		<-exited
	})
	// Generous: Node starts Azurite in seconds on an idle machine, but
	// takes tens of seconds while other test packages load both cores.
	deadline := time.Now().Add(90 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("%s exited before listening on %s:\n%s", filepath.Base(name), addr, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not listening on %s after 90s:\n%s", filepath.Base(name), addr, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
