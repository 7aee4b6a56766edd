package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// BenchmarkS3UploadLimit measures what upload_max_bytes costs an upload:
// the same file through ftpsbridge to versitygw with curl, by a user
// without a limit and by one whose limit is far above the file, in turns
// (the order swapped every round), reporting the machine's CPU per GiB
// (/proc/stat) of each and their ratio, and the same of the ftpsbridge
// process alone (/proc/PID/stat), which is what the limit could change
// and what still reads true when other work shares the machine. The limit's wrapper keeps the
// store writer's fast path (parts filled straight from the TLS
// connection), so the ratio should be 1 within the noise; without the
// fast path every byte is copied once more through a 256 KiB buffer.
//
// FTPSBRIDGE_BENCH_MIB sets the file's size (default 1024) and
// FTPSBRIDGE_BENCH_ROUNDS the rounds (default 5).
func BenchmarkS3UploadLimit(b *testing.B) {
	curl := testenv.Tool(b, "curl")
	client, c := benchS3(b, "benchlimit")
	bucket := c.bucket
	size := int64(benchSize)
	if v, err := strconv.Atoi(os.Getenv("FTPSBRIDGE_BENCH_MIB")); err == nil && v > 0 {
		size = int64(v) << 20
	}
	rounds := 5
	if v, err := strconv.Atoi(os.Getenv("FTPSBRIDGE_BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	dir := b.TempDir()
	file := filepath.Join(dir, "up.bin")
	writeRandomFile(b, file, size)
	br := startBridge(b, c, func(o *bridgeOptions) {
		o.users = []string{fmt.Sprintf(`{name: capped, password_hash: "%s", backend: cloud, bucket: %s, prefix: capped/, permissions: [list, download, upload, overwrite], upload_max_bytes: %d}`,
			hashOnce(), bucket, 4*size)}
	})

	perGiB := float64(1<<30) / float64(size)
	type result struct{ mbs, machine, server float64 }
	upload := func(user string) result {
		syscall.Sync() // no writeback of the previous run lands on this one
		m0, s0 := machineCPU(b), processCPU(b, br.pid)
		d := timed(b, func() error {
			return runQuiet(b, curl, append(br.curlArgs(user), "-T", file, "ftp://"+br.explicit+"/up.bin")...)
		})
		r := result{mbps(size, d), (machineCPU(b) - m0) * perGiB, (processCPU(b, br.pid) - s0) * perGiB}
		checkSize(b, client, bucket, user+"/up.bin", size)
		return r
	}
	var plain, capped []result
	var machineRatio, serverRatio []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for r := range rounds {
			var p, c result
			if r%2 == 0 {
				p, c = upload("alice"), upload("capped")
			} else {
				c, p = upload("capped"), upload("alice")
			}
			plain, capped = append(plain, p), append(capped, c)
			machineRatio = append(machineRatio, c.machine/p.machine)
			serverRatio = append(serverRatio, c.server/p.server)
			b.Logf("round %d: without a limit %.0f MB/s, CPU per GiB %.2f s (ftpsbridge %.2f s); with upload_max_bytes %.0f MB/s, %.2f s (ftpsbridge %.2f s)",
				r+1, p.mbs, p.machine, p.server, c.mbs, c.machine, c.server)
		}
	}
	b.StopTimer()
	med := func(v []result, f func(result) float64) float64 {
		var out []float64
		for _, r := range v {
			out = append(out, f(r))
		}
		return median(out)
	}
	mbs := func(r result) float64 { return r.mbs }
	machine := func(r result) float64 { return r.machine }
	server := func(r result) float64 { return r.server }
	report := func(name string, v float64, unit string) {
		b.ReportMetric(v, unit)
		b.Logf("%-48s %8.2f %s", name, v, unit)
	}
	report("upload without a limit", med(plain, mbs), "upload-MB/s")
	report("upload with upload_max_bytes", med(capped, mbs), "capped-MB/s")
	report("machine CPU per GiB, without a limit", med(plain, machine), "cpu-s/upload")
	report("machine CPU per GiB, with upload_max_bytes", med(capped, machine), "cpu-s/capped")
	report("  ratio, with/without (target 1.0)", median(machineRatio), "cpu-ratio")
	report("ftpsbridge CPU per GiB, without a limit", med(plain, server), "server-cpu-s/upload")
	report("ftpsbridge CPU per GiB, with upload_max_bytes", med(capped, server), "server-cpu-s/capped")
	report("  ratio, with/without (target 1.0)", median(serverRatio), "server-cpu-ratio")
}
