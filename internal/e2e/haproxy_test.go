package e2e

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// lbSetup is three ftpsbridge replicas behind one HAProxy that sends
// PROXY v2 to their control and passive ports, all on loopback: HAProxy
// on 127.0.0.1, replica i on 127.0.1.i with its own passive range, one
// S3 store (versitygw) shared by all, clients on 127.0.0.2, .3, ...
type lbSetup struct {
	explicit, implicit string // HAProxy's control frontends
	replicas           []*replica
	caFile             string
	store              *cloud
}

type replica struct {
	host               string
	explicit, implicit string
	logs               *testenv.LogBuffer
}

func (r *replica) Logs() string { return r.logs.String() }

const lbPortsPerReplica = 10

func startLB(t *testing.T) *lbSetup {
	t.Helper()
	store := s3Cloud(t, "replicas", "part_size: 5MiB")
	ca := testenv.NewCA(t, "lb test CA")
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	testenv.WriteCert(t, certFile, keyFile, ca.Issue(t, testenv.Leaf{IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}))
	lb := &lbSetup{explicit: testenv.FreeAddr(t), implicit: testenv.FreeAddr(t), caFile: filepath.Join(dir, "ca.pem"), store: store}
	ca.WriteCA(t, lb.caFile)

	base := 20000 + int(time.Now().UnixNano()%20000)
	var ctrlE, ctrlI []string
	var frontends []testenv.HAFrontend
	for i := range 3 {
		host := fmt.Sprintf("127.0.1.%d", i+1)
		r := &replica{host: host, explicit: net.JoinHostPort(host, fmt.Sprint(testenv.FreePort(t))),
			implicit: net.JoinHostPort(host, fmt.Sprint(testenv.FreePort(t))), logs: &testenv.LogBuffer{}}
		lb.replicas = append(lb.replicas, r)
		ctrlE, ctrlI = append(ctrlE, r.explicit), append(ctrlI, r.implicit)
		lo := base + i*lbPortsPerReplica
		frontends = append(frontends, testenv.HAFrontend{Name: fmt.Sprintf("pasv_r%d", i+1),
			Bind: fmt.Sprintf("127.0.0.1:%d-%d", lo, lo+lbPortsPerReplica-1), Servers: []string{host}, SendProxyV2: true})
	}
	frontends = append(frontends,
		testenv.HAFrontend{Name: "ftp_explicit", Bind: lb.explicit, Servers: ctrlE, SendProxyV2: true},
		testenv.HAFrontend{Name: "ftp_implicit", Bind: lb.implicit, Servers: ctrlI, SendProxyV2: true})
	testenv.StartHAProxy(t, frontends)
	for i, r := range lb.replicas {
		lo := base + i*lbPortsPerReplica
		startReplica(t, r, store, certFile, keyFile, lo, lo+lbPortsPerReplica-1)
	}
	return lb
}

// startReplica runs the binary as one replica: PROXY protocol required
// from HAProxy (127.0.0.1) on control and passive ports, PASV announcing
// HAProxy's address.
func startReplica(t *testing.T, r *replica, c *cloud, certFile, keyFile string, lo, hi int) {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	proxy := "proxy_protocol: {mode: required, trusted: [127.0.0.1/32]}"
	perms := "[list, download, upload, overwrite, delete, rename, mkdir]"
	cfg := fmt.Sprintf(`server: {data_dir: %s, idle_timeout: 2m, shutdown_timeout: 10s, login_failures: {max: 2, window: 5m, ban: 5m}}
listeners:
  - {address: %s, tls: explicit, %s}
  - {address: %s, tls: implicit, %s}
tls: {cert_file: %s, key_file: %s}
passive: {port_range: %d-%d, public_host: 127.0.0.1, %s}
backends:
  - name: cloud
%s
users:
  - {name: alice, password_hash: "%s", backend: cloud, bucket: %s, prefix: alice/, permissions: %s}
  - {name: carol, password_hash: "%s", backend: cloud, bucket: %s, prefix: carol/, permissions: %s, allowed_ips: [127.0.0.3/32]}
`, dir, r.explicit, proxy, r.implicit, proxy, certFile, keyFile, lo, hi, proxy, indent(c.backend, "    "),
		hashOnce(), c.bucket, perms, hashOnce(), c.bucket, perms)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", path)
	cmd.Stdout = r.logs
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("replica %s on SIGTERM: %v", r.host, err)
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Errorf("replica %s did not stop within 30s of SIGTERM", r.host)
		}
		if t.Failed() {
			t.Logf("replica %s log:\n%s", r.host, r.Logs())
		}
	})
	// The header a balancer sends for its own health checks.
	testenv.WaitProxiedBanner(t, r.explicit, proxyV2Local())
}

var proxySig = []byte("\r\n\r\n\x00\r\nQUIT\n")

// proxyV2Local is a v2 LOCAL header: the balancer's own connection.
func proxyV2Local() []byte { return append(append([]byte{}, proxySig...), 0x20, 0x00, 0, 0) }

// proxyV2 is a v2 PROXY header for TCP over IPv4 from src to dst.
func proxyV2(src, dst *net.TCPAddr) []byte {
	b := append(append([]byte{}, proxySig...), 0x21, 0x11, 0, 12)
	b = append(b, src.IP.To4()...)
	b = append(b, dst.IP.To4()...)
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(b, uint16(src.Port)), uint16(dst.Port))
}

func TestHAProxyReplicas(t *testing.T) {
	lb := startLB(t)
	t.Run("Clients", func(t *testing.T) { testLBClients(t, lb) })
	t.Run("UntrustedHeader", func(t *testing.T) { testLBUntrusted(t, lb) })
	t.Run("AllowedIPs", func(t *testing.T) { testLBAllowedIPs(t, lb) })
	t.Run("BanPerClientAddress", func(t *testing.T) { testLBBan(t, lb) })
	t.Run("EveryReplicaSawTrueClients", func(t *testing.T) { testLBReplicaLogs(t, lb) })
}

// ctrlClient is a raw explicit-FTPS control connection from a chosen
// loopback source address through HAProxy.
type ctrlClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func (lb *lbSetup) dial(t *testing.T, from string) (*ctrlClient, int, string) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", lb.explicit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &ctrlClient{t: t, conn: conn, r: bufio.NewReader(conn)}
	code, text := c.reply()
	return c, code, text
}

func (c *ctrlClient) reply() (int, string) {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := c.r.ReadString('\n')
	if err != nil {
		return 0, err.Error()
	}
	var code int
	fmt.Sscanf(line, "%d", &code)
	for len(line) > 3 && line[3] == '-' {
		if line, err = c.r.ReadString('\n'); err != nil {
			return 0, err.Error()
		}
	}
	return code, strings.TrimSpace(line)
}

func (c *ctrlClient) cmd(line string) (int, string) {
	c.t.Helper()
	fmt.Fprintf(c.conn, "%s\r\n", line)
	return c.reply()
}

// secure upgrades to TLS, trusting the test CA.
func (c *ctrlClient) secure(caFile string) {
	c.t.Helper()
	if code, text := c.cmd("AUTH TLS"); code != 234 {
		c.t.Fatalf("AUTH TLS: %d %s", code, text)
	}
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		c.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	tc := tls.Client(c.conn, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err := tc.Handshake(); err != nil {
		c.t.Fatal(err)
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
}

// testLBClients: curl, lftp and Python ftplib, each from its own source
// address, upload, list and download through HAProxy in PASV and EPSV,
// explicit and implicit; the store holds every upload byte for byte.
func testLBClients(t *testing.T, lb *lbSetup) {
	cases := []struct {
		name, from string
		run        func(t *testing.T, lb *lbSetup, from, name string, data []byte) []byte
	}{
		{"curl-explicit-epsv", "127.0.0.2", curlFlow("explicit", false)},
		{"curl-explicit-pasv", "127.0.0.3", curlFlow("explicit", true)},
		{"curl-implicit-epsv", "127.0.0.2", curlFlow("implicit", false)},
		{"curl-implicit-pasv", "127.0.0.3", curlFlow("implicit", true)},
		{"lftp-explicit-pasv", "127.0.0.2", lftpFlow("explicit", false)},
		{"lftp-explicit-epsv", "127.0.0.3", lftpFlow("explicit", true)},
		{"lftp-implicit-pasv", "127.0.0.2", lftpFlow("implicit", false)},
		{"python-explicit-pasv", "127.0.0.3", pythonFlow("explicit", false)},
		{"python-explicit-epsv", "127.0.0.2", pythonFlow("explicit", true)},
		{"python-implicit-pasv", "127.0.0.3", pythonFlow("implicit", false)},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := randomData(300<<10+i*4099, uint64(i+1))
			name := tc.name + ".bin"
			got := tc.run(t, lb, tc.from, name, data)
			if !bytes.Equal(got, data) {
				t.Fatalf("download: %d bytes, want the %d uploaded", len(got), len(data))
			}
			stored, err := lb.store.read(t, "alice/"+name)
			if err != nil || !bytes.Equal(stored, data) {
				t.Fatalf("store holds %d bytes (%v), want the %d uploaded", len(stored), err, len(data))
			}
		})
	}
}

func (lb *lbSetup) url(mode string) string {
	if mode == "implicit" {
		return "ftps://" + lb.implicit + "/"
	}
	return "ftp://" + lb.explicit + "/"
}

func curlFlow(mode string, pasv bool) func(*testing.T, *lbSetup, string, string, []byte) []byte {
	return func(t *testing.T, lb *lbSetup, from, name string, data []byte) []byte {
		curl := testenv.Tool(t, "curl")
		dir := t.TempDir()
		src, dst := filepath.Join(dir, "up"), filepath.Join(dir, "down")
		os.WriteFile(src, data, 0o600)
		args := []string{"-sS", "--fail", "--ssl-reqd", "--cacert", lb.caFile, "--user", "alice:" + password, "--interface", from}
		if pasv {
			args = append(args, "--disable-epsv")
		}
		for _, step := range [][]string{{"-T", src, lb.url(mode) + name}, {"-o", dst, lb.url(mode) + name}} {
			if out, err := run(t, nil, curl, append(args, step...)...); err != nil {
				t.Fatalf("curl %v: %v\n%s", step, err, out)
			}
		}
		out, err := run(t, nil, curl, append(args, "--list-only", lb.url(mode))...)
		if err != nil || !strings.Contains(out, name) {
			t.Fatalf("curl listing lacks %s (%v):\n%s", name, err, out)
		}
		got, _ := os.ReadFile(dst)
		return got
	}
}

func lftpFlow(mode string, epsv bool) func(*testing.T, *lbSetup, string, string, []byte) []byte {
	return func(t *testing.T, lb *lbSetup, from, name string, data []byte) []byte {
		lftp := testenv.Tool(t, "lftp")
		dir := t.TempDir()
		src, dst := filepath.Join(dir, name), filepath.Join(dir, "down")
		os.WriteFile(src, data, 0o600)
		settings := fmt.Sprintf("set cmd:fail-exit true; set net:max-retries 1; set net:timeout 30; set net:socket-bind-ipv4 %s; "+
			"set ftp:ssl-force true; set ftp:ssl-protect-data true; set ftp:ssl-protect-list true; set ftp:prefer-epsv %t; "+
			"set ssl:ca-file %s; set ssl:check-hostname true; ", from, epsv, lb.caFile)
		script := fmt.Sprintf("put %s -o %s; cls -1; get %s -o %s; bye", src, name, name, dst)
		out, err := run(t, []string{"HOME=" + t.TempDir()}, lftp, "-u", "alice,"+password, "-e", settings+script, strings.TrimSuffix(lb.url(mode), "/"))
		if err != nil || !strings.Contains(out, name) {
			t.Fatalf("lftp (%v):\n%s", err, out)
		}
		got, _ := os.ReadFile(dst)
		return got
	}
}

// pythonScript uploads, lists and downloads with ftplib; EPSV is forced
// by declaring the connection IPv6 (ftplib sends EPSV only then).
const pythonScript = `
import ftplib, io, socket, ssl, sys
mode, host, port, src, name, ca, pw, epsv = sys.argv[1:9]
ctx = ssl.create_default_context(cafile=ca)
class Implicit(ftplib.FTP_TLS):
    def connect(self, host, port, timeout, source_address):
        self.host, self.port, self.timeout, self.source_address = host, port, timeout, source_address
        self.sock = socket.create_connection((host, port), timeout, source_address=source_address)
        self.af = self.sock.family
        self.sock = self.context.wrap_socket(self.sock, server_hostname=host)
        self.file = self.sock.makefile('r', encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome
cls = Implicit if mode == "implicit" else ftplib.FTP_TLS
ftp = cls(context=ctx, timeout=30)
ftp.connect(host, int(port), 30, (src, 0)) if mode == "implicit" else ftp.connect(host, int(port), source_address=(src, 0))
ftp.login("alice", pw)
ftp.prot_p()
if epsv == "1":
    ftp.af = socket.AF_INET6
data = sys.stdin.buffer.read()
ftp.storbinary("STOR " + name, io.BytesIO(data))
if name not in ftp.nlst():
    sys.exit("listing lacks " + name)
out = io.BytesIO()
ftp.retrbinary("RETR " + name, out.write)
sys.stdout.buffer.write(out.getvalue())
ftp.quit()
`

func pythonFlow(mode string, epsv bool) func(*testing.T, *lbSetup, string, string, []byte) []byte {
	return func(t *testing.T, lb *lbSetup, from, name string, data []byte) []byte {
		py := testenv.Tool(t, "python3")
		addr := lb.explicit
		if mode == "implicit" {
			addr = lb.implicit
		}
		host, port, _ := net.SplitHostPort(addr)
		flag := "0"
		if epsv {
			flag = "1"
		}
		cmd := exec.CommandContext(t.Context(), py, "-c", pythonScript, mode, host, port, from, name, lb.caFile, password, flag)
		cmd.Stdin = bytes.NewReader(data)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("python ftplib: %v\n%s", err, errOut.String())
		}
		return out.Bytes()
	}
}

// testLBUntrusted: a client that reaches a replica directly and sends a
// PROXY header naming another client is refused, on the control and on
// the passive port, and the replica says so in its log.
func testLBUntrusted(t *testing.T, lb *lbSetup) {
	r := lb.replicas[0]
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 5)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", r.explicit)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write(proxyV2(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 9), Port: 4000}, conn.RemoteAddr().(*net.TCPAddr)))
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if line, err := bufio.NewReader(conn).ReadString('\n'); err == nil {
		t.Fatalf("a faked header from 127.0.0.5 was served: %q", line)
	}
	waitLog(t, r, "source is not a trusted load balancer")
}

// testLBAllowedIPs: carol may log in from 127.0.0.3 only; through the
// proxy the replicas see that address, not HAProxy's.
func testLBAllowedIPs(t *testing.T, lb *lbSetup) {
	for _, tc := range []struct {
		from string
		want int
	}{{"127.0.0.3", 230}, {"127.0.0.2", 530}, {"127.0.0.3", 230}, {"127.0.0.2", 530}} {
		c, code, text := lb.dial(t, tc.from)
		if code != 220 {
			t.Fatalf("greeting from %s: %d %s", tc.from, code, text)
		}
		c.secure(lb.caFile)
		c.cmd("USER carol")
		if code, text := c.cmd("PASS " + password); code != tc.want {
			t.Errorf("carol from %s: %d %s, want %d", tc.from, code, text, tc.want)
		}
		c.cmd("QUIT")
	}
}

// testLBBan: 127.0.0.2 fails logins until every replica bans it; then it
// is refused at connect everywhere, while 127.0.0.3 still logs in on
// every replica. Bans are per replica: round robin spreads the failures.
func testLBBan(t *testing.T, lb *lbSetup) {
	// Fail until three connections in a row (one per replica under
	// round robin) are refused.
	for refused, tries := 0, 0; refused < len(lb.replicas); tries++ {
		if tries > 10*len(lb.replicas) {
			t.Fatal("127.0.0.2 was never banned by every replica")
		}
		c, code, _ := lb.dial(t, "127.0.0.2")
		if code != 220 {
			refused++
			continue
		}
		refused = 0
		c.secure(lb.caFile)
		c.cmd("USER alice")
		c.cmd("PASS wrong")
		c.cmd("QUIT")
	}
	for range len(lb.replicas) {
		if _, code, text := lb.dial(t, "127.0.0.2"); code != 421 {
			t.Errorf("127.0.0.2 after its failures: %d %s, want 421", code, text)
		}
		c, code, text := lb.dial(t, "127.0.0.3")
		if code != 220 {
			t.Fatalf("127.0.0.3 refused: %d %s", code, text)
		}
		c.secure(lb.caFile)
		c.cmd("USER alice")
		if code, text := c.cmd("PASS " + password); code != 230 {
			t.Errorf("127.0.0.3 login: %d %s", code, text)
		}
		c.cmd("QUIT")
	}
	for _, r := range lb.replicas {
		if !strings.Contains(r.Logs(), "127.0.0.2") || strings.Contains(banLines(r.Logs()), "127.0.0.3") {
			t.Errorf("replica %s: want a ban of 127.0.0.2 only; bans:\n%s", r.host, banLines(r.Logs()))
		}
	}
}

func banLines(logs string) string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "banned") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// testLBReplicaLogs: every replica served sessions (round robin), logged
// the clients' own addresses with HAProxy's as via, completed transfers,
// and refused no data connection: each landed on the replica holding
// its session.
func testLBReplicaLogs(t *testing.T, lb *lbSetup) {
	for _, r := range lb.replicas {
		logs := r.Logs()
		switch {
		case !strings.Contains(logs, "remote=127.0.0.2:") && !strings.Contains(logs, "remote=127.0.0.3:"):
			t.Errorf("replica %s logged no session of 127.0.0.2 or .3", r.host)
		case !strings.Contains(logs, "via=127.0.0.1:"):
			t.Errorf("replica %s logged no session via HAProxy", r.host)
		case !strings.Contains(logs, "msg=transfer") || !strings.Contains(logs, "result=ok"):
			t.Errorf("replica %s completed no transfer", r.host)
		case strings.Contains(logs, "refused passive data connection"):
			t.Errorf("replica %s refused a data connection:\n%s", r.host, logs)
		}
	}
}

// waitLog waits until the replica's log (copied from its pipe by another
// goroutine) holds want.
func waitLog(t *testing.T, r *replica, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(r.Logs(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("replica %s never logged %q", r.host, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
