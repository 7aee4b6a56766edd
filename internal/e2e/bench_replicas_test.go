package e2e

import (
	"testing"
	"time"
)

// BenchmarkReplicas runs the rolling-restart traffic (20 clients, small
// and some 6 MiB files, every download checked) for 20 s against one
// replica directly, one behind HAProxy and three behind HAProxy, all on
// one versitygw bucket, and reports total throughput and the p50/p99 of
// small-file round trips: what HAProxy costs and what scale-out buys on
// this machine (all of it, store included, on the same cores).
func BenchmarkReplicas(b *testing.B) {
	const clients, span = 20, 20 * time.Second
	type result struct {
		name     string
		mbps     float64
		p50, p99 time.Duration
		failures int64
	}
	var results []result
	run := func(name, bucket string, replicas int, direct bool) {
		c := s3Cloud(b, bucket, "part_size: 5MiB\nupload_concurrency: 2")
		group, addr, tlsCfg := replicaGroup(b, c, replicas, "")
		if direct {
			addr = group[0].control
		}
		stop := make(chan struct{})
		time.AfterFunc(span, func() { close(stop) })
		start := time.Now()
		tr := runTraffic(addr, tlsCfg, clients, stop)
		elapsed := time.Since(start)
		r := result{name, mbps(tr.bytes.Load(), elapsed), tr.percentile(0.5), tr.percentile(0.99), tr.failures.Load()}
		results = append(results, r)
		b.Logf("%-26s %7.1f MB/s  small round trip p50 %6s p99 %6s  transfers %d  failures %d",
			name, r.mbps, r.p50.Round(time.Millisecond), r.p99.Round(time.Millisecond), tr.transfers.Load(), r.failures)
		if r.failures > 0 {
			b.Errorf("%s: %v", name, tr.errs)
		}
	}
	for range b.N {
		results = results[:0]
		run("1 replica, direct", "bench-direct", 1, true)
		run("1 replica, HAProxy", "bench-one", 1, false)
		run("3 replicas, HAProxy", "bench-three", 3, false)
	}
	one, proxied, three := results[0], results[1], results[2]
	b.ReportMetric(proxied.mbps/one.mbps, "haproxy/direct")
	b.ReportMetric(three.mbps/proxied.mbps, "3x/1x")
	b.ReportMetric(three.mbps, "MB/s-3x")
	b.ReportMetric(float64(three.p99.Milliseconds()), "p99-ms-3x")
}
