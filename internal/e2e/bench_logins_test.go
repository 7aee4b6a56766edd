package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
	"golang.org/x/crypto/bcrypt"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// fleet is a running ftpsbridge on a local disk with many users, for the
// login and users-file benchmarks.
type fleet struct {
	addr, certFile, config string
	cmd                    *exec.Cmd
	logs                   *testenv.LogBuffer
	started                time.Duration // from exec to the first banner
}

func (f *fleet) Logs() string { return f.logs.String() }

// startFleet runs the binary with usersYAML as its users_file and extra
// top-level YAML.
func startFleet(b *testing.B, usersYAML, extra string) *fleet {
	b.Helper()
	bin, err := buildOnce()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	usersFile := filepath.Join(dir, "users.yaml")
	if err := os.WriteFile(usersFile, []byte(usersYAML), 0o600); err != nil {
		b.Fatal(err)
	}
	addr := testenv.FreeAddr(b)
	base := 20000 + rand.IntN(29000)
	cfg := fmt.Sprintf(`server: {data_dir: %s, max_sessions: 2000, max_sessions_per_ip: 2000, login_check_timeout: 30s}
listeners: [{address: %s, tls: explicit}]
passive: {port_range: %d-%d}
backends: [{name: disk, type: local, root: %s/files}]
users_file: %s
%s`, dir, addr, base, base+499, dir, usersFile, extra)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	f := &fleet{addr: addr, certFile: filepath.Join(dir, "tls", "cert.pem"), config: path,
		logs: &testenv.LogBuffer{}}
	f.cmd = exec.Command(bin, "serve", "--config", path, "--log-format", "json")
	f.cmd.Stdout = f.logs
	f.cmd.Stderr = f.cmd.Stdout
	start := time.Now()
	if err := f.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		f.cmd.Process.Signal(syscall.SIGTERM)
		f.cmd.Wait()
	})
	testenv.WaitBanner(b, addr)
	f.started = time.Since(start)
	return f
}

func (f *fleet) tlsConfig(b *testing.B) *tls.Config {
	pemBytes, err := os.ReadFile(f.certFile)
	if err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", ClientSessionCache: tls.NewLRUClientSessionCache(4)}
}

// cpuSeconds is the server process's user+system CPU time so far.
func (f *fleet) cpuSeconds(b *testing.B) float64 { return processCPU(b, f.cmd.Process.Pid) }

// dial connects from local (a loopback address standing in for a client
// host) and logs in.
func (f *fleet) dial(cfg *tls.Config, local, user, pass string) (*ftp.ServerConn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: time.Minute}
	c, err := ftp.Dial(f.addr, ftp.DialWithDialer(d), ftp.DialWithExplicitTLS(cfg), ftp.DialWithTimeout(2*time.Minute))
	if err != nil {
		return nil, err
	}
	if err := c.Login(user, pass); err != nil {
		c.Quit()
		return nil, err
	}
	return c, nil
}

func replyCode(err error) int {
	var pe *textproto.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return -1
}

// loginRound runs n concurrent logins (user i%users from 127.0.0.(10+i%users))
// and returns each login's duration and the reply codes of the failures.
func (f *fleet) loginRound(b *testing.B, n, users int) ([]float64, map[int]int) {
	var mu sync.Mutex
	var times []float64
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			u := i % users
			start := time.Now()
			c, err := f.dial(f.tlsConfig(b), fmt.Sprintf("127.0.0.%d", 10+u), fmt.Sprintf("p%03d", u), fmt.Sprintf("pw-%03d", u))
			d := time.Since(start).Seconds()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				codes[replyCode(err)]++
				return
			}
			times = append(times, d)
			c.Quit()
		})
	}
	wg.Wait()
	slices.Sort(times)
	return times, codes
}

func pct(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

// costUsersYAML makes n users with cost-cost bcrypt hashes, password
// pw-NNN, on their own prefix.
func costUsersYAML(b *testing.B, n, cost int) string {
	var sb strings.Builder
	for i := range n {
		h, err := bcrypt.GenerateFromPassword(fmt.Appendf(nil, "pw-%03d", i), cost)
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(&sb, "- {name: p%03d, password_hash: %q, backend: disk, prefix: p%03d/, permissions: [\"*\"]}\n", i, h, i)
	}
	return sb.String()
}

// BenchmarkLoginBurst: 500 concurrent logins of 50 users with cost-12
// bcrypt hashes (ten per user, each user from its own address), cold and
// then warm login cache, and the same burst with the cache off. Reports
// p50/p99 login time (TCP connect to 230, TLS included), the server's
// CPU seconds, and every login that did not get 230 by reply code.
func BenchmarkLoginBurst(b *testing.B) {
	users := costUsersYAML(b, 50, 12)
	for _, tc := range []struct{ name, extra string }{
		{"cache", ""},
		{"nocache", "login_cache: {ttl: 0s}\n"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f := startFleet(b, users, tc.extra)
			for round, label := range []string{"cold", "warm"} {
				if tc.name == "nocache" && round > 0 {
					break
				}
				cpu := f.cpuSeconds(b)
				start := time.Now()
				times, failures := f.loginRound(b, 500, 50)
				wall := time.Since(start)
				cpu = f.cpuSeconds(b) - cpu
				b.Logf("%s %s: %d ok, failures by code %v, p50 %.2fs p99 %.2fs, wall %.1fs, server CPU %.1fs",
					tc.name, label, len(times), failures, pct(times, 0.5), pct(times, 0.99), wall.Seconds(), cpu)
				b.ReportMetric(pct(times, 0.5), label+"-p50-s")
				b.ReportMetric(pct(times, 0.99), label+"-p99-s")
				b.ReportMetric(cpu, label+"-cpu-s")
				b.ReportMetric(float64(failures[530]), label+"-530s")
				b.ReportMetric(float64(failures[421]), label+"-421s")
				if failures[530] > 0 {
					b.Errorf("%d correct logins answered 530", failures[530])
				}
				if tc.name == "cache" && len(failures) > 0 {
					b.Errorf("failures %v with the login cache", failures)
				}
			}
		})
	}
}

// BenchmarkSessions150: 150 concurrent sessions of one user (a cost-12
// hash, cold cache), from ten client addresses: each logs in, uploads
// 64 KiB, lists, downloads and deletes its file. Zero errors expected.
func BenchmarkSessions150(b *testing.B) {
	const n = 150
	f := startFleet(b, costUsersYAML(b, 1, 12), "")
	payload := randomData(64<<10, 7)
	var wg sync.WaitGroup
	errs := make([]error, n)
	cpu := f.cpuSeconds(b)
	start := time.Now()
	for i := range n {
		wg.Go(func() { errs[i] = f.session(b, i, payload) })
	}
	wg.Wait()
	wall := time.Since(start)
	cpu = f.cpuSeconds(b) - cpu
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			b.Errorf("session %d: %v", i, err)
		}
	}
	b.Logf("150 sessions of one user (login, STOR 64 KiB, LIST, RETR, DELE): %d errors, wall %.1fs, server CPU %.1fs",
		failed, wall.Seconds(), cpu)
	b.ReportMetric(float64(failed), "errors")
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(cpu, "cpu-s")
}

func (f *fleet) session(b *testing.B, i int, payload []byte) error {
	c, err := f.dial(f.tlsConfig(b), fmt.Sprintf("127.0.0.%d", 10+i%10), "p000", "pw-000")
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	defer c.Quit()
	name := fmt.Sprintf("f-%03d.bin", i)
	if err := c.Stor(name, bytes.NewReader(payload)); err != nil {
		return fmt.Errorf("STOR: %w", err)
	}
	entries, err := c.List("/")
	if err != nil || !slices.ContainsFunc(entries, func(e *ftp.Entry) bool { return e.Name == name }) {
		return fmt.Errorf("LIST: %d entries without %s, %v", len(entries), name, err)
	}
	r, err := c.Retr(name)
	if err != nil {
		return fmt.Errorf("RETR: %w", err)
	}
	var got bytes.Buffer
	_, err = got.ReadFrom(r)
	r.Close()
	if err != nil || !bytes.Equal(got.Bytes(), payload) {
		return fmt.Errorf("RETR: %d bytes, %v", got.Len(), err)
	}
	return c.Delete(name)
}

// BenchmarkTenThousandUsers: a users_file of 10,000 users. Reports the
// time from exec to the banner, RSS after start, and SIGHUP reload time,
// while 20 logged-in sessions send NOOPs: the longest NOOP during the
// reload shows whether sessions stall.
func BenchmarkTenThousandUsers(b *testing.B) {
	h, err := bcrypt.GenerateFromPassword([]byte("pw-000"), 10)
	if err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&sb, "- name: p%03d\n  password_hash: %q\n  backend: disk\n  prefix: partners/%05d/\n  permissions: [list, download, upload]\n", i, h, i)
	}
	f := startFleet(b, sb.String(), "")
	rss := procStatus(b, f.cmd.Process.Pid, "VmRSS")
	cfg := f.tlsConfig(b)
	var conns []*ftp.ServerConn
	for i := range 20 {
		c, err := f.dial(cfg, fmt.Sprintf("127.0.0.%d", 10+i), "p000", "pw-000")
		if err != nil {
			b.Fatal(err)
		}
		defer c.Quit()
		conns = append(conns, c)
	}
	stop := make(chan struct{})
	var worst time.Duration
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				t := time.Now()
				if err := c.NoOp(); err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				worst = max(worst, time.Since(t))
				mu.Unlock()
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	before := strings.Count(f.Logs(), "users reloaded")
	start := time.Now()
	f.cmd.Process.Signal(syscall.SIGHUP)
	for strings.Count(f.Logs(), "users reloaded") == before {
		if time.Since(start) > 2*time.Minute {
			b.Fatalf("no reload in 2 minutes:\n%s", f.Logs())
		}
		time.Sleep(5 * time.Millisecond)
	}
	reload := time.Since(start)
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	rssAfter := procStatus(b, f.cmd.Process.Pid, "VmRSS")
	b.Logf("10,000 users: start %.2fs, RSS %d MiB after start, %d MiB after reload; SIGHUP reload %.2fs; longest NOOP of 20 sessions during it %v",
		f.started.Seconds(), rss>>10, rssAfter>>10, reload.Seconds(), worst.Round(time.Millisecond))
	b.ReportMetric(f.started.Seconds(), "start-s")
	b.ReportMetric(reload.Seconds(), "reload-s")
	b.ReportMetric(float64(rss>>10), "rss-MiB")
	b.ReportMetric(worst.Seconds(), "worst-noop-s")
}
