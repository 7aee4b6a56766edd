package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

func haproxyBin(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("haproxy"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/haproxy"); err == nil {
		return "/usr/sbin/haproxy"
	}
	testenv.Missing(t, "haproxy")
	return ""
}

// TestHAProxyConfig: haproxy itself accepts the file, every server line
// sends PROXY v2, the control backends check /readyz, and each passive
// range goes to one replica, ranges disjoint.
func TestHAProxyConfig(t *testing.T) {
	cfg := filepath.Join("haproxy", "haproxy.cfg")
	out, err := exec.Command(haproxyBin(t), "-c", "-f", cfg).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Configuration file is valid") {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(cfg)
	text := string(data)
	if strings.Count(text, "option httpchk GET /readyz") != 2 {
		t.Error("both control backends must check /readyz")
	}
	blocks := regexp.MustCompile(`(?m)^backend `).Split(text, -1)[1:]
	if len(blocks) != 5 {
		t.Fatalf("want 5 backends (2 control, 3 passive), got %d", len(blocks))
	}
	for _, b := range blocks {
		name, _, _ := strings.Cut(b, "\n")
		viaDefault := regexp.MustCompile(`(?m)^\s+default-server .*send-proxy-v2`).MatchString(b)
		for _, s := range regexp.MustCompile(`(?m)^\s+server .*$`).FindAllString(b, -1) {
			if !viaDefault && !strings.Contains(s, "send-proxy-v2") {
				t.Errorf("backend %s: %q sends no PROXY v2 header", name, strings.TrimSpace(s))
			}
		}
	}
	ranges := regexp.MustCompile(`(?m)^\s+bind :(\d+)-(\d+)$`).FindAllStringSubmatch(text, -1)
	if len(ranges) != 3 {
		t.Fatalf("want 3 passive ranges, got %v", ranges)
	}
	used := map[int]bool{}
	for _, r := range ranges {
		lo, _ := strconv.Atoi(r[1])
		hi, _ := strconv.Atoi(r[2])
		for p := lo; p <= hi; p++ {
			if used[p] {
				t.Errorf("passive port %d in two ranges", p)
			}
			used[p] = true
		}
	}
}

// TestSystemdUnit: systemd-analyze accepts the unit, and its hardening
// is there: no new privileges, a read-only system but for data_dir.
func TestSystemdUnit(t *testing.T) {
	analyze := testenv.Tool(t, "systemd-analyze")
	data, err := os.ReadFile(filepath.Join("systemd", "ftpsbridge.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/ftpsbridge",
		"StateDirectory=ftpsbridge", "ProtectHome=yes", "PrivateTmp=yes", "KillSignal=SIGTERM",
		"ExecReload=/bin/kill -HUP $MAINPID",
	} {
		if !strings.Contains(string(data), "\n"+want+"\n") {
			t.Errorf("unit lacks %s", want)
		}
	}
	// verify wants an executable where ExecStart points.
	unit := filepath.Join(t.TempDir(), "ftpsbridge.service")
	text := strings.ReplaceAll(string(data), "/usr/local/bin/ftpsbridge", "/bin/sh")
	if err := os.WriteFile(unit, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || strings.Contains(string(out), "ftpsbridge.service:") {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
