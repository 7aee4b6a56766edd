package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMetricsText(t *testing.T) {
	m := New()
	m.SessionOpened()
	m.SessionOpened()
	m.SessionClosed()
	m.ConnectionRefused("max_sessions_per_ip")
	m.Login("ok")
	m.Login("failed")
	m.Login("failed")
	m.Transfer("STOR", "ok", 42, 30*time.Millisecond)
	m.Transfer("RETR", "connection_lost", 7, 2*time.Second)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()

	get := func(method, path string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	code, text := get("GET", "/metrics")
	if code != 200 {
		t.Fatalf("GET /metrics: %d", code)
	}
	for _, want := range []string{
		"ftpsbridge_sessions 1\n",
		`ftpsbridge_connections_refused_total{reason="max_sessions_per_ip"} 1` + "\n",
		`ftpsbridge_logins_total{result="ok"} 1` + "\n",
		`ftpsbridge_logins_total{result="failed"} 2` + "\n",
		`ftpsbridge_transfers_total{command="STOR",result="ok"} 1` + "\n",
		`ftpsbridge_transfers_total{command="RETR",result="connection_lost"} 1` + "\n",
		`ftpsbridge_transfer_bytes_total{command="STOR"} 42` + "\n",
		`ftpsbridge_transfer_duration_seconds_bucket{command="STOR",le="0.04"} 1` + "\n",
		`ftpsbridge_transfer_duration_seconds_bucket{command="RETR",le="0.64"} 0` + "\n",
		`ftpsbridge_transfer_duration_seconds_count{command="RETR"} 1` + "\n",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in:\n%s", want, text)
		}
	}
	if code, _ := get("GET", "/"); code != http.StatusNotFound {
		t.Errorf("GET /: %d, want 404", code)
	}
	if code, _ := get("POST", "/metrics"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %d, want 405", code)
	}
}

func TestConfigValidate(t *testing.T) {
	for addr, ok := range map[string]bool{"": true, "127.0.0.1:9464": true, "[::1]:9464": true, ":9464": true, "9464": false, "host": false} {
		if err := (Config{Address: addr}).Validate(); (err == nil) != ok {
			t.Errorf("%q: %v", addr, err)
		}
	}
}
