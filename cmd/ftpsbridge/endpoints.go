package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/internal/config"
	"github.com/ftpsbridge/ftpsbridge/internal/health"
	"github.com/ftpsbridge/ftpsbridge/internal/metrics"
)

// endpoints are the HTTP side of the process: /metrics on
// metrics.address, /healthz and /readyz on health.address or, when that
// is empty, beside /metrics.
type endpoints struct {
	// draining turns /readyz to 503 from the first SIGTERM on.
	draining atomic.Bool
	cancel   context.CancelFunc
}

// startEndpoints binds the HTTP listeners before the FTP ones, so that a
// taken port fails the start, and serves them until stop.
// extra are other series to serve on /metrics (the event dispatcher's).
func startEndpoints(cfg *config.Config, srv *ftps.Server, log *slog.Logger, extra ...prometheus.Collector) (*endpoints, error) {
	ctx, cancel := context.WithCancel(context.Background())
	e := &endpoints{cancel: cancel}
	ready := func() bool { return !e.draining.Load() && srv.Accepting() }
	type site struct {
		key, addr string
		mux       *http.ServeMux
		paths     []string
	}
	var sites []*site
	if addr := cfg.Metrics.Address; addr != "" {
		m := metrics.New()
		m.Register(extra...)
		srv.SetObserver(m)
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		sites = append(sites, &site{"metrics.address", addr, mux, []string{"/metrics"}})
	}
	switch {
	case cfg.Health.Address != "":
		mux := http.NewServeMux()
		health.Register(mux, ready)
		sites = append(sites, &site{"health.address", cfg.Health.Address, mux, []string{"/healthz", "/readyz"}})
	case len(sites) > 0:
		health.Register(sites[0].mux, ready)
		sites[0].paths = append(sites[0].paths, "/healthz", "/readyz")
	}
	var bound []net.Listener
	for _, s := range sites {
		l, err := net.Listen("tcp", s.addr)
		if err != nil {
			for _, b := range bound {
				b.Close()
			}
			cancel()
			return nil, fmt.Errorf("%s: %w", s.key, err)
		}
		bound = append(bound, l)
	}
	for i, s := range sites {
		l := bound[i]
		go func() {
			if err := health.Serve(ctx, l, s.mux); err != nil {
				log.Error("http listener failed", "address", l.Addr().String(), "err", err)
			}
		}()
		log.Info("serving http", "address", l.Addr().String(), "paths", s.paths)
	}
	return e, nil
}

// stop closes the HTTP listeners.
func (e *endpoints) stop() { e.cancel() }
