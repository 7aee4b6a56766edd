package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// TestMetricsEndpoint serves metrics.address on loopback, moves files
// with curl and scrapes /metrics with curl: the transfers, their bytes
// and the logins are counted, and no session is left open. A metrics
// address that is taken fails the start instead of serving without it.
func TestMetricsEndpoint(t *testing.T) {
	curl := testenv.Tool(t, "curl")
	dir := t.TempDir()
	port := testenv.FreePort(t)
	metricsAddr := testenv.FreeAddr(t)
	cfgPath := writeConfig(t, dir, port)
	f, err := os.OpenFile(cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "metrics: {address: %s}\n", metricsAddr)
	f.Close()

	_, logs, addr := serveConfig(t, cfgPath, port)

	ftps := []string{"-sS", "--fail", "--ssl-reqd", "--cacert", filepath.Join(dir, "state", "tls", "cert.pem")}
	payload := filepath.Join(dir, "payload.txt")
	writeFile(t, payload, strings.Repeat("x", 1000))
	for _, args := range [][]string{
		{"--user", "u:pw", "-T", payload, "ftp://" + addr + "/m.txt"},
		{"--user", "u:pw", "-o", filepath.Join(dir, "back.txt"), "ftp://" + addr + "/m.txt"},
		{"--user", "u:wrong", "ftp://" + addr + "/"},
	} {
		out, err := exec.Command(curl, append(ftps, args...)...).CombinedOutput()
		if wantFail := strings.HasSuffix(args[1], ":wrong"); (err != nil) != wantFail {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
	}
	wants := []string{
		`ftpsbridge_transfers_total{command="STOR",result="ok"} 1`,
		`ftpsbridge_transfers_total{command="RETR",result="ok"} 1`,
		`ftpsbridge_transfer_bytes_total{command="STOR"} 1000`,
		`ftpsbridge_transfer_bytes_total{command="RETR"} 1000`,
		`ftpsbridge_logins_total{result="ok"} 2`,
		`ftpsbridge_logins_total{result="failed"} 1`,
		"ftpsbridge_sessions 0", // the last session may still be closing: poll
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		scrape, err := exec.Command(curl, "-sS", "--fail", "http://"+metricsAddr+"/metrics").CombinedOutput()
		if err != nil {
			t.Fatalf("scraping: %v\n%s\n%s", err, scrape, logs.String())
		}
		var missing []string
		for _, want := range wants {
			if !strings.Contains(string(scrape), want+"\n") {
				missing = append(missing, want)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not in /metrics: %q\n%s", missing, scrape)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A second server on the same metrics address cannot start.
	other := exec.Command(binary(t), "serve", "--config", cfgPath)
	out, err := other.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "metrics.address") {
		t.Errorf("a taken metrics address: %v\n%s", err, out)
	}
}
