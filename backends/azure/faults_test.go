package azure

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/internal/faultproxy"
)

// TestFaultMetadataStalls: a service that accepts connections but never
// answers fails a metadata request after request_timeout with
// ErrTransient (451 at the FTP level), instead of holding the command.
// Azurite sits behind a fault-injecting proxy.
func TestFaultMetadataStalls(t *testing.T) {
	f := newFixture(t, Config{})
	name := f.newContainer(t)
	host := strings.TrimPrefix(f.server.Endpoint, "http://")
	host, path, _ := strings.Cut(host, "/")
	proxy := faultproxy.Start(t, host)
	be, err := New(Config{
		AccountName: f.server.Account, AccountKey: f.server.Key,
		Endpoint:       "http://" + proxy.Addr + "/" + path,
		RequestTimeout: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	st := be.(*backend).store(name)

	proxy.Set(faultproxy.Fault{StallDownAfter: 1})
	for op, call := range map[string]func() error{
		"stat":   func() error { _, err := st.Head(t.Context(), "x"); return err },
		"list":   func() error { _, err := st.List(t.Context(), "", "", 10); return err },
		"mkdir":  func() error { return st.PutEmpty(t.Context(), "d/") },
		"delete": func() error { return st.Delete(t.Context(), "x") },
	} {
		start := time.Now()
		err := call()
		if !errors.Is(err, backends.ErrTransient) || !strings.Contains(err.Error(), "request_timeout") {
			t.Errorf("%s against a silent service: %v, want ErrTransient naming request_timeout", op, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s gave up after %s; request_timeout is 500ms", op, d)
		}
	}
	proxy.Heal()
	if _, err := st.Head(t.Context(), "x"); !errors.Is(err, backends.ErrNotExist) {
		t.Errorf("stat after the service recovered: %v, want ErrNotExist", err)
	}
}
