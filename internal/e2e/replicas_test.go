package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// lbReplica is one ftpsbridge process of a group behind HAProxy, which a
// test may stop and start again on the same configuration.
type lbReplica struct {
	name     string
	host     string // 127.0.0.1N: its own loopback address
	control  string // host:port of its explicit listener
	health   string
	low      int // its passive range
	high     int
	cfgPath  string
	bin      string
	mu       sync.Mutex
	logs     bytes.Buffer
	cmd      *exec.Cmd
	exited   chan error
	exitErrs []error // how each stop ended
}

// replicaGroup starts n replicas on c sharing one certificate (so a
// client trusts whichever it reaches) and an HAProxy in front: control
// connections balanced over all, each passive range to its replica. It
// returns the replicas, HAProxy's control address and the client TLS
// configuration.
func replicaGroup(t testing.TB, c *cloud, n int, server string) ([]*lbReplica, string, *tls.Config) {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ca := testenv.NewCA(t, "replicas test CA")
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	testenv.WriteCert(t, certFile, keyFile, ca.Issue(t, testenv.Leaf{IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}))
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	controlPort := testenv.FreePort(t)
	frontends := []testenv.HAFrontend{{Name: "control", Bind: fmt.Sprintf("127.0.0.1:%d", controlPort), Balance: "leastconn",
		SendProxyV2: true}}
	const rangeSize = 20
	base := freeRange(t, n*rangeSize)
	var group []*lbReplica
	for i := range n {
		r := &lbReplica{name: fmt.Sprintf("r%d", i+1), host: fmt.Sprintf("127.0.0.%d", 11+i), bin: bin,
			low: base + i*rangeSize, high: base + i*rangeSize + rangeSize - 1}
		r.control = fmt.Sprintf("%s:%d", r.host, controlPort)
		r.health = fmt.Sprintf("%s:%d", r.host, testenv.FreePort(t))
		rdir := filepath.Join(dir, r.name)
		os.MkdirAll(rdir, 0o700)
		cfg := fmt.Sprintf(`server: {data_dir: %s, idle_timeout: 2m, shutdown_timeout: 15s, drain_delay: 2s, max_sessions_per_ip: 100%s}
listeners: [{address: %s, tls: explicit, proxy_protocol: {mode: required, trusted: [127.0.0.1]}}]
tls: {cert_file: %s, key_file: %s}
passive: {port_range: %d-%d, public_host: 127.0.0.1, proxy_protocol: {mode: required, trusted: [127.0.0.1]}}
health: {address: %s}
backends:
  - name: cloud
%s
users:
  - {name: alice, password_hash: "%s", backend: cloud, bucket: %s, prefix: alice/, permissions: ["*"]}
`, rdir, server, r.control, certFile, keyFile, r.low, r.high, r.health, indent(c.backend, "    "), hashOnce(), c.bucket)
		r.cfgPath = filepath.Join(rdir, "config.yaml")
		os.WriteFile(r.cfgPath, []byte(cfg), 0o600)
		frontends[0].Servers = append(frontends[0].Servers, r.control)
		frontends = append(frontends, testenv.HAFrontend{Name: "passive_" + r.name,
			Bind: fmt.Sprintf("127.0.0.1:%d-%d", r.low, r.high), Servers: []string{r.host}, SendProxyV2: true})
		r.start(t)
		group = append(group, r)
	}
	t.Cleanup(func() {
		for _, r := range group {
			r.stop()
			if t.Failed() {
				t.Logf("%s log:\n%s", r.name, tail(r.logText()))
			}
		}
	})
	testenv.StartHAProxy(t, frontends)
	return group, fmt.Sprintf("127.0.0.1:%d", controlPort), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

// freeRange finds n consecutive ports free on 127.0.0.1, below the
// kernel's ephemeral range (32768 up), where client sockets of earlier
// runs would collide with HAProxy's binds.
func freeRange(t testing.TB, n int) int {
	t.Helper()
	for range 50 {
		base := 10000 + int(time.Now().UnixNano()%int64(22000-n))
		var held []net.Listener
		for p := base; p < base+n; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				break
			}
			held = append(held, l)
		}
		for _, l := range held {
			l.Close()
		}
		if len(held) == n {
			return base
		}
	}
	t.Fatalf("no %d free consecutive ports on 127.0.0.1", n)
	return 0
}

func (r *lbReplica) logText() string { r.mu.Lock(); defer r.mu.Unlock(); return r.logs.String() }

type replicaLog struct{ r *lbReplica }

func (w replicaLog) Write(p []byte) (int, error) {
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	return w.r.logs.Write(p)
}

// start runs the process and waits until /readyz answers 200.
func (r *lbReplica) start(t testing.TB) {
	t.Helper()
	cmd := exec.Command(r.bin, "serve", "--config", r.cfgPath)
	cmd.Stdout, cmd.Stderr = replicaLog{r}, replicaLog{r}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	r.mu.Lock()
	r.cmd, r.exited = cmd, exited
	r.mu.Unlock()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get("http://" + r.health + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("%s exited at start: %v\n%s", r.name, err, r.logText())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 30s\n%s", r.name, r.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and records how the process exited (nil: 0). It
// does nothing to a replica already stopped.
func (r *lbReplica) stop() error {
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return nil
	}
	cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-exited:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		err = errors.New("did not stop within 60s of SIGTERM")
	}
	r.mu.Lock()
	r.exitErrs = append(r.exitErrs, err)
	r.mu.Unlock()
	return err
}
