package health

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func TestProbes(t *testing.T) {
	var ready atomic.Bool
	mux := http.NewServeMux()
	Register(mux, ready.Load)
	get := func(method, path string) int {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec.Code
	}
	for _, c := range []struct {
		name, method, path string
		ready              bool
		want               int
	}{
		{"healthz while not ready", "GET", "/healthz", false, 200},
		{"readyz not ready", "GET", "/readyz", false, 503},
		{"readyz ready", "GET", "/readyz", true, 200},
		{"healthz ready", "GET", "/healthz", true, 200},
		{"post refused", "POST", "/readyz", true, 405},
		{"other path", "GET", "/", true, 404},
	} {
		t.Run(c.name, func(t *testing.T) {
			ready.Store(c.ready)
			if got := get(c.method, c.path); got != c.want {
				t.Errorf("%s %s: %d, want %d", c.method, c.path, got, c.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for addr, ok := range map[string]bool{"": true, "127.0.0.1:9100": true, ":9100": true, "nope": false} {
		if err := (Config{Address: addr}).Validate(); (err == nil) != ok {
			t.Errorf("%q: %v", addr, err)
		}
	}
}
