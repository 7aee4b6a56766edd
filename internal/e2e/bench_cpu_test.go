package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// ownCPU returns the CPU time, in seconds, used so far by this test
// process and every process it started: the servers still running
// (ftpsbridge, versitygw, openssl, nginx and its worker, found by parent
// pid in /proc) and the children already waited for (each curl, from
// getrusage). On a machine shared with other work, the difference over
// one contender's run is that contender's cost, where machineCPU's also
// counts everyone else's; kernel work done in interrupt context is not in
// it, so it reads a little lower than machineCPU on an idle machine.
func ownCPU(tb testing.TB) float64 {
	var self, children syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
		tb.Fatal(err)
	}
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children); err != nil {
		tb.Fatal(err)
	}
	secs := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	total := secs(self.Utime) + secs(self.Stime) + secs(children.Utime) + secs(children.Stime)
	for _, p := range descendants(os.Getpid()) {
		total += p.cpu
	}
	return total
}

type procCPU struct {
	pid  int
	ppid int
	cpu  float64 // utime + stime, seconds
}

// descendants lists the running processes below pid, from /proc/*/stat.
func descendants(pid int) []procCPU {
	paths, _ := filepath.Glob("/proc/[0-9]*/stat")
	byParent := map[int][]procCPU{}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid ... utime(14) stime(15); comm may hold spaces.
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
		if len(f) < 13 {
			continue
		}
		p, _ := strconv.Atoi(strings.Fields(s)[0])
		ppid, _ := strconv.Atoi(f[1])
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		byParent[ppid] = append(byParent[ppid], procCPU{pid: p, ppid: ppid, cpu: float64(ut+st) / 100})
	}
	var out []procCPU
	queue := []int{pid}
	for len(queue) > 0 {
		for _, c := range byParent[queue[0]] {
			out = append(out, c)
			queue = append(queue, c.pid)
		}
		queue = queue[1:]
	}
	return out
}
