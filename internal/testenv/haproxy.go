package testenv

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// HAFrontend is one TCP frontend of a test HAProxy: it listens on Bind
// (host:port, or host:low-high for a port range) and forwards to Servers.
type HAFrontend struct {
	Name string
	Bind string
	// Servers are host:port, or a bare host: the connection then goes to
	// the port the client reached (how a passive range is forwarded).
	Servers []string
	// Balance is HAProxy's balance algorithm; empty means roundrobin.
	Balance string
	// SendProxyV2 makes HAProxy open every server connection with a PROXY
	// protocol v2 header carrying the client's address.
	SendProxyV2 bool
}

// HAProxy is a running haproxy process.
type HAProxy struct {
	ConfigFile string
	out        *LogBuffer
}

// Logs returns what haproxy has printed so far.
func (h *HAProxy) Logs() string { return h.out.String() }

// HAProxyConfig renders frontends as an haproxy.cfg in TCP mode. When
// monitor is not empty (host:port) an HTTP frontend there answers
// /ready: haproxy binds every frontend before it serves any, so that
// answer says all are listening without a connection to a server.
func HAProxyConfig(frontends []HAFrontend, monitor string) string {
	var b strings.Builder
	b.WriteString("global\n    maxconn 4096\n\n")
	b.WriteString("defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 5m\n    timeout server 5m\n\n")
	if monitor != "" {
		fmt.Fprintf(&b, "frontend ready\n    mode http\n    bind %s\n    monitor-uri /ready\n\n", monitor)
	}
	for _, f := range frontends {
		fmt.Fprintf(&b, "frontend %s\n    bind %s\n    default_backend %s_servers\n\n", f.Name, f.Bind, f.Name)
		fmt.Fprintf(&b, "backend %s_servers\n    balance %s\n", f.Name, cmpOr(f.Balance, "roundrobin"))
		for i, s := range f.Servers {
			opt := ""
			if f.SendProxyV2 {
				opt = " send-proxy-v2"
			}
			fmt.Fprintf(&b, "    server s%d %s%s\n", i+1, s, opt)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// StartHAProxy runs haproxy (Debian's package, installed by
// scripts/test-deps.sh) in the foreground with frontends until the test
// ends, and waits until its frontends listen. It connects to none of
// them (a connection would reach a server), only to a monitor frontend
// of its own on another free port.
func StartHAProxy(t testing.TB, frontends []HAFrontend) *HAProxy {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/haproxy"); serr != nil {
			Missing(t, "haproxy")
		}
		bin = "/usr/sbin/haproxy"
	}
	monitor := FreeAddr(t)
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(HAProxyConfig(frontends, monitor)), 0o600); err != nil {
		t.Fatal(err)
	}
	h := &HAProxy{ConfigFile: path, out: &LogBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-f", path, "-db")
	cmd.Stdout = h.out
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting haproxy: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cancel()
		<-exited
		if t.Failed() {
			t.Logf("haproxy output:\n%s", h.Logs())
		}
	})
	waitListening(t, monitor, exited, h)
	return h
}

func waitListening(t testing.TB, addr string, exited <-chan struct{}, h *HAProxy) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-exited:
			t.Fatalf("haproxy exited before listening on %s:\n%s", addr, h.Logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy not listening on %s after 30s:\n%s", addr, h.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
