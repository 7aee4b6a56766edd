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
//     connection: TLS on these cores is the ceiling. A third contender,
//     the least any relay must do (an HTTPS server in this process that
//     copies the SDK's GetObject of the same object into curl's
//     connection), shows how much of the gap is the relaying itself: a
//     second connection's copies and wake-ups on the same two cores;
//   - peak RSS growth of a fresh server while 8 clients upload 256 MiB
//     each at once, per upload, against part_size x (concurrency+1) + 4 MiB.

const (
	benchSize     = 1 << 30
	benchPartSize = 16 << 20
	benchConc     = 4
	rssClients    = 8
	rssSize       = 256 << 20
)

func BenchmarkS3(b *testing.B) {
	curl := testenv.Tool(b, "curl")
	openssl := testenv.Tool(b, "openssl")
	srv := testenv.StartS3(b)
	client := s3.New(s3.Options{
		Region: srv.Region, BaseEndpoint: aws.String(srv.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	})
	bucket := "bench"
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		b.Fatal(err)
	}
	c := &cloud{bucket: bucket, backend: fmt.Sprintf(`type: s3
endpoint: %s
region: %s
path_style: true
access_key_id: %s
secret_access_key: %s
part_size: %d
upload_concurrency: %d`, srv.Endpoint, srv.Region, srv.AccessKey, srv.SecretKey, benchPartSize, benchConc)}

	dir := b.TempDir()
	big := filepath.Join(dir, "big.bin")
	writeRandomFile(b, big, benchSize)
	br := startBridge(b, c)
	tlsURL := startOpenSSL(b, openssl, dir, br)
	relayURL := startRelay(b, client, bucket, "alice/big.bin", br)

	// Five rounds: the machine's speed drifts within a run, so each
	// round's contenders run back to back and the ratios are taken per
	// round, then the median of those.
	rounds := 5
	if v, err := strconv.Atoi(os.Getenv("FTPSBRIDGE_BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	// Each curl run carries a fixed cost that is not throughput: the
	// FTPS login (a bcrypt check), two TLS handshakes and the commands.
	// The same commands on an empty file measure that cost in this run,
	// and the adjusted rates leave it out on both sides.
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	os.WriteFile(filepath.Join(dir, "empty.bin"), nil, 0o600)
	var fixedUp, fixedDown, fixedTLS []float64
	for range 3 {
		fixedUp = append(fixedUp, timed(b, func() error {
			return runQuiet(b, curl, append(br.curlArgs("alice"), "-T", empty, "ftp://"+br.explicit+"/empty.bin")...)
		}).Seconds())
		fixedDown = append(fixedDown, timed(b, func() error {
			return runQuiet(b, curl, append(br.curlArgs("alice"), "-o", "/dev/null", "ftp://"+br.explicit+"/empty.bin")...)
		}).Seconds())
		fixedTLS = append(fixedTLS, timed(b, func() error {
			return runQuiet(b, curl, "-sS", "--fail", "--tlsv1.3", "--cacert", br.certFile, "-o", "/dev/null", strings.TrimSuffix(tlsURL, "big.bin")+"empty.bin")
		}).Seconds())
	}
	b.Logf("fixed cost per curl run: FTPS upload %.2f s, FTPS download %.2f s, HTTPS %.2f s",
		median(fixedUp), median(fixedDown), median(fixedTLS))
	adjusted := func(d time.Duration, fixed []float64) float64 {
		return float64(benchSize) / 1e6 / max(d.Seconds()-median(fixed), 1e-3)
	}

	var up, direct, down, ceiling, relay, upAdj, downAdj, ceilingAdj, upRatio, upRatioAdj, downRatio, downRatioAdj, relayRatio []float64
	// CPU of the whole machine per GiB moved, by contender: on two shared
	// cores it is what bounds each rate.
	var cpuUp, cpuDirect, cpuDown, cpuTLS, cpuRelay []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for r := range rounds {
			// Each timed run starts with no dirty pages left by the one
			// before: versitygw writes to disk, and the kernel's
			// writeback would otherwise land on whichever contender
			// runs when it kicks in.
			syscall.Sync()
			c0 := machineCPU(b)
			d := timed(b, func() error {
				return runQuiet(b, curl, append(br.curlArgs("alice"), "-T", big, "ftp://"+br.explicit+"/big.bin")...)
			})
			cpuUp = append(cpuUp, machineCPU(b)-c0)
			up, upAdj = append(up, mbps(benchSize, d)), append(upAdj, adjusted(d, fixedUp))
			checkSize(b, client, bucket, "alice/big.bin", benchSize)
			syscall.Sync()
			c0 = machineCPU(b)
			direct = append(direct, mbps(benchSize, timed(b, func() error {
				return sdkUpload(client, bucket, "direct/big.bin", big)
			})))
			cpuDirect = append(cpuDirect, machineCPU(b)-c0)
			if _, err := client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("direct/big.bin")}); err != nil {
				b.Fatal(err)
			}
			syscall.Sync()
			c0 = machineCPU(b)
			d = timed(b, func() error {
				return runQuiet(b, curl, append(br.curlArgs("alice"), "-o", "/dev/null", "ftp://"+br.explicit+"/big.bin")...)
			})
			cpuDown = append(cpuDown, machineCPU(b)-c0)
			down, downAdj = append(down, mbps(benchSize, d)), append(downAdj, adjusted(d, fixedDown))
			c0 = machineCPU(b)
			d = timed(b, func() error {
				return runQuiet(b, curl, "-sS", "--fail", "--tlsv1.3", "--cacert", br.certFile, "-o", "/dev/null", tlsURL)
			})
			cpuTLS = append(cpuTLS, machineCPU(b)-c0)
			ceiling, ceilingAdj = append(ceiling, mbps(benchSize, d)), append(ceilingAdj, adjusted(d, fixedTLS))
			c0 = machineCPU(b)
			d = timed(b, func() error {
				return runQuiet(b, curl, "-sS", "--fail", "--tlsv1.3", "--cacert", br.certFile, "-o", "/dev/null", relayURL)
			})
			cpuRelay = append(cpuRelay, machineCPU(b)-c0)
			relay = append(relay, mbps(benchSize, d))
			last := func(v []float64) float64 { return v[len(v)-1] }
			upRatio = append(upRatio, last(up)/last(direct))
			upRatioAdj = append(upRatioAdj, last(upAdj)/last(direct))
			downRatio = append(downRatio, last(down)/last(ceiling))
			downRatioAdj = append(downRatioAdj, last(downAdj)/last(ceilingAdj))
			relayRatio = append(relayRatio, last(down)/last(relay))
			b.Logf("round %d: upload %.0f MB/s (%.0f without curl's fixed cost; SDK direct %.0f), download %.0f MB/s (%.0f; TLS ceiling %.0f; minimal relay %.0f)",
				r+1, last(up), last(upAdj), last(direct), last(down), last(downAdj), last(ceiling), last(relay))
			b.Logf("round %d: machine CPU per GiB: upload %.2f s (SDK direct %.2f), download %.2f s (TLS ceiling %.2f; minimal relay %.2f)",
				r+1, last(cpuUp), last(cpuDirect), last(cpuDown), last(cpuTLS), last(cpuRelay))
		}
	}
	b.StopTimer()
	growth := rssPerUpload(b, c, curl, dir)

	report := func(name string, v float64, unit string) {
		b.ReportMetric(v, unit)
		b.Logf("%-34s %8.2f %s", name, v, unit)
	}
	report("upload through ftpsbridge", median(up), "upload-MB/s")
	report("upload with the SDK directly", median(direct), "sdk-MB/s")
	report("upload ratio (target >= 0.90)", median(upRatio), "upload-ratio")
	report("  ratio of the medians", median(up)/median(direct), "upload-ratio-of-medians")
	report("  without curl's fixed cost", median(upRatioAdj), "upload-ratio-adj")
	report("download through ftpsbridge", median(down), "download-MB/s")
	report("download over plain TLS 1.3", median(ceiling), "tls-MB/s")
	report("download ratio (target >= 0.80)", median(downRatio), "download-ratio")
	report("  ratio of the medians", median(down)/median(ceiling), "download-ratio-of-medians")
	report("  without curl's fixed cost", median(downRatioAdj), "download-ratio-adj")
	report("download from the minimal relay", median(relay), "relay-MB/s")
	report("download ratio to the minimal relay", median(relayRatio), "download-ratio-to-relay")
	report("machine CPU per GiB, FTPS upload", median(cpuUp), "cpu-s/upload")
	report("machine CPU per GiB, SDK upload", median(cpuDirect), "cpu-s/sdk")
	report("machine CPU per GiB, FTPS download", median(cpuDown), "cpu-s/download")
	report("machine CPU per GiB, TLS ceiling", median(cpuTLS), "cpu-s/tls")
	report("machine CPU per GiB, minimal relay", median(cpuRelay), "cpu-s/relay")
	report("peak RSS growth per upload", growth, "MiB/upload")
	report("bound: part x (concurrency+1) + 4", float64(benchPartSize*(benchConc+1))/(1<<20)+4, "MiB-bound")
}

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
