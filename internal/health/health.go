// Package health answers a load balancer's and an orchestrator's probes:
// GET /healthz (the process serves HTTP) and GET /readyz (the FTP
// listeners accept and the server is not draining). Neither touches the
// object store: a probe every few seconds from every balancer must not
// become load on the store, and a slow store must not take every replica
// out of rotation at once.
package health

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// Config is the health section of config.yaml.
type Config struct {
	// Address serves /healthz and /readyz, as host:port. Empty (the
	// default) serves them on metrics.address, if that is set.
	Address string `yaml:"address"`
}

// Validate checks the address's form.
func (c Config) Validate() error {
	if c.Address == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		return fielderr.New("health.address", "want host:port: %v", err)
	}
	return nil
}

// Register adds GET /healthz and GET /readyz to mux. ready is asked at
// every /readyz request and must be cheap.
func Register(mux *http.ServeMux, ready func() bool) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if !ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("not ready\n"))
			return
		}
		w.Write([]byte("ready\n"))
	})
}

// Serve answers h on l until ctx is done.
func Serve(ctx context.Context, l net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
