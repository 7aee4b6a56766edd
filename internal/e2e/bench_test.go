package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// The S3 benchmark of `make bench`. The machines are small and noisy, so
// it reports ratios measured in one run, alternating the contenders round
// by round, never absolute targets:
//   - upload: 1 GiB through ftpsbridge with curl, against the same file
//     sent straight to the store with the SDK (multipart, same part size
//     and concurrency): the store is the ceiling;
//   - download: the same 1 GiB through ftpsbridge with curl, against curl
//     fetching it from `openssl s_server -WWW` over one TLS 1.3
//     connection: TLS on these cores is the ceiling. Two relays of the
//     same object from the same store fetch it too: nginx (C and OpenSSL,
//     what a web operator would put in front of a bucket) and the least
//     any relay must do (an HTTPS server in this process that copies a
//     presigned GET into curl's connection), to show how much of the gap
//     is the relaying itself: a second connection's copies and wake-ups
//     on the same two cores;
//   - peak RSS growth of a fresh server while 8 clients upload 256 MiB
//     each at once, per upload, against part_size x (concurrency+1) + 4 MiB.
//
// `-bench S3/download` (or upload, rss) runs one part. For experiments:
// FTPSBRIDGE_BENCH_ROUNDS (default 5), FTPSBRIDGE_BENCH_MIB (default
// 1024), FTPSBRIDGE_BENCH_CURL (extra curl options for every download
// contender, such as `--tls13-ciphers TLS_AES_128_GCM_SHA256`) and
// FTPSBRIDGE_BENCH_SERVER (extra keys of the bridge's server mapping).

const (
	benchPartSize = 16 << 20
	benchConc     = 4
	rssClients    = 8
	rssSize       = 256 << 20
)

// benchSize is the size of the transferred file.
var benchSize int64 = 1 << 30

func BenchmarkS3(b *testing.B) {
	curl := testenv.Tool(b, "curl")
	openssl := testenv.Tool(b, "openssl")
	nginx := nginxBinary(b)
	if v, err := strconv.Atoi(os.Getenv("FTPSBRIDGE_BENCH_MIB")); err == nil && v > 0 {
		benchSize = int64(v) << 20
	}
	rounds := 5
	if v, err := strconv.Atoi(os.Getenv("FTPSBRIDGE_BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	client, c := benchS3(b, "bench")
	bucket := c.bucket

	dir := b.TempDir()
	big := filepath.Join(dir, "big.bin")
	writeRandomFile(b, big, benchSize)
	var opts []func(*bridgeOptions)
	if extra := os.Getenv("FTPSBRIDGE_BENCH_SERVER"); extra != "" {
		opts = append(opts, func(o *bridgeOptions) { o.server = extra })
	}
	br := startBridge(b, c, opts...)
	// The downloads read the object the SDK stored, so that they do not
	// depend on the upload part having run.
	if err := sdkUpload(client, bucket, "alice/big.bin", big); err != nil {
		b.Fatal(err)
	}
	if _, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("alice/empty.bin"), Body: strings.NewReader("")}); err != nil {
		b.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	os.WriteFile(filepath.Join(dir, "empty.bin"), nil, 0o600)

	// Each curl run carries a fixed cost that is not throughput: the
	// FTPS login (a bcrypt check), two TLS handshakes and the commands.
	// The same commands on an empty file measure that cost in this run,
	// and the adjusted rates leave it out on both sides.
	fixedCost := func(f func() error) float64 {
		var v []float64
		for range 3 {
			v = append(v, timed(b, f).Seconds())
		}
		return median(v)
	}
	report := func(b *testing.B, name string, v float64, unit string) {
		b.ReportMetric(v, unit)
		benchLog("%-44s %8.2f %s", name, v, unit)
	}

	b.Run("upload", func(b *testing.B) {
		fixed := fixedCost(func() error {
			return runQuiet(b, curl, append(br.curlArgs("alice"), "-T", empty, "ftp://"+br.explicit+"/empty.bin")...)
		})
		benchLog("fixed cost per curl run: FTPS upload %.2f s", fixed)
		bridgeUp := &contender{name: "ftpsbridge", fixed: fixed, run: func() error {
			return runQuiet(b, curl, append(br.curlArgs("alice"), "-T", big, "ftp://"+br.explicit+"/up.bin")...)
		}}
		sdk := &contender{name: "SDK", run: func() error { return sdkUpload(client, bucket, "direct/big.bin", big) }}
		var ratio, ratioAdj, cpuRatio, machineRatio []float64
		for range b.N {
			for r := range rounds {
				// Each timed run starts with no dirty pages left by the
				// one before: versitygw writes to disk, and the kernel's
				// writeback would otherwise land on whichever contender
				// runs when it kicks in.
				syscall.Sync()
				bridgeUp.measure(b)
				checkSize(b, client, bucket, "alice/up.bin", benchSize)
				syscall.Sync()
				sdk.measure(b)
				if _, err := client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("direct/big.bin")}); err != nil {
					b.Fatal(err)
				}
				ratio = append(ratio, last(bridgeUp.rate)/last(sdk.rate))
				ratioAdj = append(ratioAdj, last(bridgeUp.rateAdj)/last(sdk.rate))
				cpuRatio = append(cpuRatio, last(bridgeUp.own)/last(sdk.own))
				machineRatio = append(machineRatio, last(bridgeUp.machine)/last(sdk.machine))
				benchLog("round %d: upload MB/s: ftpsbridge %.0f (%.0f without curl's fixed cost), SDK direct %.0f: ratio %.2f (%.2f)",
					r+1, last(bridgeUp.rate), last(bridgeUp.rateAdj), last(sdk.rate), last(ratio), last(ratioAdj))
				benchLog("round %d: CPU s per GiB, own processes (machine): ftpsbridge %.2f (%.2f), SDK %.2f (%.2f): %.2fx (%.2fx); load %s",
					r+1, perGiB(last(bridgeUp.own)), perGiB(last(bridgeUp.machine)), perGiB(last(sdk.own)), perGiB(last(sdk.machine)),
					last(cpuRatio), last(machineRatio), loadAverage())
			}
		}
		report(b, "upload through ftpsbridge", median(bridgeUp.rate), "upload-MB/s")
		report(b, "upload with the SDK directly", median(sdk.rate), "sdk-MB/s")
		report(b, "upload ratio (target >= 0.90)", median(ratio), "upload-ratio")
		report(b, "  ratio of the medians", median(bridgeUp.rate)/median(sdk.rate), "upload-ratio-of-medians")
		report(b, "  without curl's fixed cost", median(ratioAdj), "upload-ratio-adj")
		for _, k := range []*contender{bridgeUp, sdk} {
			report(b, "CPU per GiB, own processes, "+k.name, perGiB(median(k.own)), "cpu-s/"+k.unit())
			report(b, "CPU per GiB, machine, "+k.name, perGiB(median(k.machine)), "machine-cpu-s/"+k.unit())
		}
		report(b, "CPU ratio ftpsbridge/SDK (target <= 1.2)", median(cpuRatio), "cpu-ratio/sdk")
		report(b, "  machine CPU ratio", median(machineRatio), "machine-cpu-ratio/sdk")
	})

	b.Run("download", func(b *testing.B) {
		tlsURL := startOpenSSL(b, openssl, dir, br)
		nginxURL := startNginx(b, nginx, client, bucket, "alice/big.bin", br)
		relayURL := startRelay(b, client, bucket, "alice/big.bin", br)
		extra := strings.Fields(os.Getenv("FTPSBRIDGE_BENCH_CURL"))
		https := func(url string) []string {
			return append(append([]string{"-sS", "--fail", "--tlsv1.3", "--cacert", br.certFile, "-o", "/dev/null"}, extra...), url)
		}
		ftps := func(name string) []string {
			return append(append(br.curlArgs("alice"), extra...), "-o", "/dev/null", "ftp://"+br.explicit+"/"+name)
		}
		curlRun := func(args []string) func() error { return func() error { return runQuiet(b, curl, args...) } }
		fixedFTPS := fixedCost(curlRun(ftps("empty.bin")))
		fixedTLS := fixedCost(curlRun(https(strings.TrimSuffix(tlsURL, "big.bin") + "empty.bin")))
		fixedNginx := fixedCost(curlRun(https(strings.TrimSuffix(nginxURL, "big.bin") + "empty.bin")))
		benchLog("fixed cost per curl run: FTPS download %.2f s, HTTPS (openssl) %.2f s, HTTPS (nginx) %.2f s", fixedFTPS, fixedTLS, fixedNginx)

		bridgeDown := &contender{name: "ftpsbridge", run: curlRun(ftps("big.bin")), fixed: fixedFTPS}
		ceiling := &contender{name: "TLS ceiling", run: curlRun(https(tlsURL)), fixed: fixedTLS}
		ngx := &contender{name: "nginx", run: curlRun(https(nginxURL)), fixed: fixedNginx}
		relay := &contender{name: "minimal relay", run: curlRun(https(relayURL))}
		all := []*contender{bridgeDown, ceiling, ngx, relay}
		var toCeiling, toCeilingAdj, toNginx, toNginxAdj, toRelay, cpuCeiling, cpuNginx, machineCeiling []float64
		syscall.Sync()
		for range b.N {
			for r := range rounds {
				for _, k := range all {
					k.measure(b)
				}
				toCeiling = append(toCeiling, last(bridgeDown.rate)/last(ceiling.rate))
				toCeilingAdj = append(toCeilingAdj, last(bridgeDown.rateAdj)/last(ceiling.rateAdj))
				toNginx = append(toNginx, last(bridgeDown.rate)/last(ngx.rate))
				toNginxAdj = append(toNginxAdj, last(bridgeDown.rateAdj)/last(ngx.rateAdj))
				toRelay = append(toRelay, last(bridgeDown.rate)/last(relay.rate))
				cpuCeiling = append(cpuCeiling, last(bridgeDown.own)/last(ceiling.own))
				cpuNginx = append(cpuNginx, last(bridgeDown.own)/last(ngx.own))
				machineCeiling = append(machineCeiling, last(bridgeDown.machine)/last(ceiling.machine))
				benchLog("round %d: download MB/s: ftpsbridge %.0f, TLS ceiling %.0f, nginx %.0f, minimal relay %.0f; ratios %.2f to the ceiling (%.2f without fixed costs), %.2f to nginx (%.2f), %.2f to the relay",
					r+1, last(bridgeDown.rate), last(ceiling.rate), last(ngx.rate), last(relay.rate),
					last(toCeiling), last(toCeilingAdj), last(toNginx), last(toNginxAdj), last(toRelay))
				benchLog("round %d: CPU s per GiB, own processes (machine): ftpsbridge %.2f (%.2f), TLS ceiling %.2f (%.2f), nginx %.2f (%.2f), minimal relay %.2f (%.2f); ftpsbridge/ceiling %.2fx (%.2fx), ftpsbridge/nginx %.2fx; load %s",
					r+1, perGiB(last(bridgeDown.own)), perGiB(last(bridgeDown.machine)), perGiB(last(ceiling.own)), perGiB(last(ceiling.machine)),
					perGiB(last(ngx.own)), perGiB(last(ngx.machine)), perGiB(last(relay.own)), perGiB(last(relay.machine)),
					last(cpuCeiling), last(machineCeiling), last(cpuNginx), loadAverage())
			}
		}
		for _, k := range all {
			report(b, "download from "+k.name, median(k.rate), k.unit()+"-MB/s")
		}
		report(b, "download ratio to the ceiling (>= 0.80)", median(toCeiling), "download-ratio")
		report(b, "  without curl's fixed costs", median(toCeilingAdj), "download-ratio-adj")
		report(b, "download ratio to nginx (>= 1.00)", median(toNginx), "download-ratio-to-nginx")
		report(b, "  without curl's fixed costs", median(toNginxAdj), "download-ratio-to-nginx-adj")
		report(b, "download ratio to the minimal relay", median(toRelay), "download-ratio-to-relay")
		for _, k := range all {
			report(b, "CPU per GiB, own processes, "+k.name, perGiB(median(k.own)), "cpu-s/"+k.unit())
			report(b, "CPU per GiB, machine, "+k.name, perGiB(median(k.machine)), "machine-cpu-s/"+k.unit())
		}
		report(b, "CPU ratio ftpsbridge/ceiling (<= 1.2)", median(cpuCeiling), "cpu-ratio/ceiling")
		report(b, "  machine CPU ratio", median(machineCeiling), "machine-cpu-ratio/ceiling")
		report(b, "CPU ratio ftpsbridge/nginx", median(cpuNginx), "cpu-ratio/nginx")
	})

	b.Run("rss", func(b *testing.B) {
		growth := rssPerUpload(b, c, curl, dir)
		report(b, "peak RSS growth per upload", growth, "MiB/upload")
		report(b, "bound: part x (concurrency+1) + 4", float64(benchPartSize*(benchConc+1))/(1<<20)+4, "MiB-bound")
	})
}

// contender is one way of moving the file in a round, with what each of
// its runs measured.
type contender struct {
	name  string
	run   func() error
	fixed float64 // seconds of each run that are not throughput
	// Per run: MB/s, MB/s without the fixed cost, CPU seconds of the
	// machine and of this process tree (see ownCPU).
	rate, rateAdj, machine, own []float64
}

func (k *contender) measure(tb testing.TB) {
	m0, o0 := machineCPU(tb), ownCPU(tb)
	d := timed(tb, k.run)
	k.machine = append(k.machine, machineCPU(tb)-m0)
	k.own = append(k.own, ownCPU(tb)-o0)
	k.rate = append(k.rate, mbps(benchSize, d))
	k.rateAdj = append(k.rateAdj, float64(benchSize)/1e6/max(d.Seconds()-k.fixed, 1e-3))
}

func (k *contender) unit() string { return strings.ReplaceAll(k.name, " ", "-") }

// loadAverage is /proc/loadavg's first three fields: on a shared machine,
// how much else was running.
func loadAverage() string {
	data, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// benchLog prints a line of the benchmark's report to stdout: the testing
// package keeps only the first ten lines of a benchmark's log.
func benchLog(format string, args ...any) { fmt.Printf("    "+format+"\n", args...) }

func last(v []float64) float64 { return v[len(v)-1] }

// perGiB scales CPU seconds spent on benchSize bytes to one GiB.
func perGiB(cpu float64) float64 { return cpu * float64(1<<30) / float64(benchSize) }

func writeRandomFile(tb testing.TB, path string, size int64) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		tb.Fatal(err)
	}
}

// startOpenSSL serves dir over HTTPS (TLS 1.3) with the certificate the
// bridge generated, and returns the URL of big.bin.
func startOpenSSL(tb testing.TB, openssl, dir string, br *bridge) string {
	addr := testenv.FreeAddr(tb)
	cmd := exec.Command(openssl, "s_server", "-accept", addr, "-cert", br.certFile,
		"-key", filepath.Join(filepath.Dir(br.certFile), "key.pem"), "-WWW", "-tls1_3", "-quiet")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := exec.Command("curl", "-s", "--cacert", br.certFile, "-o", "/dev/null", "https://"+addr+"/").CombinedOutput(); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "https://" + addr + "/big.bin"
}

// startRelay serves key over TLS 1.3 with the bridge's certificate, as
// plainly as a relay can: one GET of a presigned URL with net/http, its
// body copied through one 256 KiB buffer into a bare tls.Conn after a
// fixed HTTP header. No SDK response handling, no FTP, no checks. It
// returns the URL to fetch.
func startRelay(tb testing.TB, client *s3.Client, bucket, key string, br *bridge) string {
	cert, err := tls.LoadX509KeyPair(br.certFile, filepath.Join(filepath.Dir(br.certFile), "key.pem"))
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	get, err := s3.NewPresignClient(client).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key}, s3.WithPresignExpires(time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	serve := func(conn net.Conn) {
		defer conn.Close()
		req := bufio.NewReader(conn)
		for {
			line, err := req.ReadString('\n')
			if err != nil {
				return
			}
			if line == "\r\n" {
				break
			}
		}
		resp, err := http.Get(get.URL)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		fmt.Fprintf(conn, "HTTP/1.1 %d x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", resp.StatusCode, resp.ContentLength)
		io.CopyBuffer(conn, resp.Body, make([]byte, 256<<10))
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(conn)
		}
	}()
	return "https://" + ln.Addr().String() + "/big.bin"
}

func runQuiet(tb testing.TB, name string, args ...string) error {
	out, err := run(tb, nil, name, args...)
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", name, err, out)
	}
	return nil
}

func timed(tb testing.TB, f func() error) time.Duration {
	start := time.Now()
	if err := f(); err != nil {
		tb.Fatal(err)
	}
	return time.Since(start)
}

// machineCPU returns the CPU time all processes have used so far, in
// seconds (/proc/stat, in USER_HZ ticks of 10 ms on Linux): the busy time
// of every core, whatever process it went to, kernel work included.
func machineCPU(tb testing.TB) float64 {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		tb.Fatal(err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 || f[0] != "cpu" {
		tb.Fatalf("unexpected /proc/stat: %q", line)
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			tb.Fatalf("unexpected /proc/stat: %q", line)
		}
		ticks += v
	}
	return float64(ticks) / 100
}

// processCPU returns the user+system CPU time process pid has used so
// far, in seconds (/proc/PID/stat): on a machine shared with other work
// it is what one process's changes show in, where machineCPU is noise.
func processCPU(tb testing.TB, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+2:]))
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100
}

func mbps(n int64, d time.Duration) float64 { return float64(n) / 1e6 / d.Seconds() }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func checkSize(tb testing.TB, client *s3.Client, bucket, key string, want int64) {
	out, err := client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil || aws.ToInt64(out.ContentLength) != want {
		tb.Fatalf("%s after upload: %v, %d bytes, want %d", key, err, aws.ToInt64(out.ContentLength), want)
	}
}

// sdkUpload is the baseline: the file sent as a multipart upload with the
// SDK alone, with the part size and concurrency ftpsbridge uses, parts
// read from the file (seekable, as the SDK wants over plain http).
func sdkUpload(client *s3.Client, bucket, key, path string) error {
	ctx := context.Background()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	mp, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
	if err != nil {
		return err
	}
	n := int((st.Size() + benchPartSize - 1) / benchPartSize)
	parts := make([]types.CompletedPart, n)
	errs := make([]error, n)
	sem := make(chan struct{}, benchConc)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			off := int64(i) * benchPartSize
			size := min(benchPartSize, st.Size()-off)
			out, err := client.UploadPart(ctx, &s3.UploadPartInput{
				Bucket: &bucket, Key: &key, UploadId: mp.UploadId, PartNumber: aws.Int32(int32(i + 1)),
				Body: io.NewSectionReader(f, off, size), ContentLength: aws.Int64(size),
				ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c,
			})
			if err != nil {
				errs[i] = err
				return
			}
			parts[i] = types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumCRC32C: out.ChecksumCRC32C}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	_, err = client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &bucket, Key: &key, UploadId: mp.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	return err
}

// rssPerUpload starts a fresh server, lets rssClients upload rssSize bytes
// each at once, and returns its peak RSS growth per upload in MiB.
func rssPerUpload(b *testing.B, c *cloud, curl, dir string) float64 {
	br := startBridge(b, c)
	src := filepath.Join(dir, "rss.bin")
	writeRandomFile(b, src, rssSize)
	if err := runQuiet(b, curl, append(br.curlArgs("alice"), "--list-only", "ftp://"+br.explicit+"/")...); err != nil {
		b.Fatal(err)
	}
	base := procStatus(b, br.pid, "VmRSS")
	var wg sync.WaitGroup
	errs := make([]error, rssClients)
	for i := range rssClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = runQuiet(b, curl, append(br.curlArgs("alice"), "-T", src, fmt.Sprintf("ftp://%s/rss-%d.bin", br.explicit, i))...)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	peak := procStatus(b, br.pid, "VmHWM")
	b.Logf("RSS: %d MiB before, peak %d MiB during %d uploads of %d MiB", base>>10, peak>>10, rssClients, rssSize>>20)
	return float64(peak-base) / 1024 / rssClients
}

// procStatus returns a /proc/PID/status field in KiB.
func procStatus(tb testing.TB, pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	tb.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// benchS3 starts versitygw with one bucket and returns an SDK client for
// the baselines and the bucket as a cloud with the benches' part size and
// concurrency.
func benchS3(b *testing.B, bucket string) (*s3.Client, *cloud) {
	srv := testenv.StartS3(b)
	client := s3.New(s3.Options{
		Region: srv.Region, BaseEndpoint: aws.String(srv.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	})
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		b.Fatal(err)
	}
	return client, &cloud{bucket: bucket, backend: fmt.Sprintf(`type: s3
endpoint: %s
region: %s
path_style: true
access_key_id: %s
secret_access_key: %s
part_size: %d
upload_concurrency: %d`, srv.Endpoint, srv.Region, srv.AccessKey, srv.SecretKey, benchPartSize, benchConc)}
}
