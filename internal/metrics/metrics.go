// Package metrics exposes the server's counters in the Prometheus text
// format on a listener of its own (metrics.address), apart from the FTP
// ports: sessions, refused connections, logins, transfers with their bytes
// and durations, and the Go runtime and process collectors.
package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// Config is the metrics section of config.yaml.
type Config struct {
	// Address serves GET /metrics, as host:port; empty (the default)
	// serves nothing. It carries no authentication: bind it to loopback
	// or to a network only the monitoring system reaches.
	Address string `yaml:"address"`
}

// Validate checks the address's form.
func (c Config) Validate() error {
	if c.Address == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		return fielderr.New("metrics.address", "want host:port: %v", err)
	}
	return nil
}

// Metrics counts the front end's events (it is an ftps.Observer) and
// serves them.
type Metrics struct {
	reg       *prometheus.Registry
	sessions  prometheus.Gauge
	refused   *prometheus.CounterVec
	logins    *prometheus.CounterVec
	transfers *prometheus.CounterVec
	bytes     *prometheus.CounterVec
	durations *prometheus.HistogramVec
}

// New registers the metrics in a registry of their own.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ftpsbridge_sessions", Help: "Control connections open now.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ftpsbridge_connections_refused_total",
			Help: "Connections answered 421 at once, by reason (banned, max_sessions, max_sessions_per_ip, max_unauthenticated_sessions, shutting_down).",
		}, []string{"reason"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ftpsbridge_logins_total",
			Help: "Login attempts, by result (ok, failed, session_limit, busy, unavailable, banned).",
		}, []string{"result"}),
		transfers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ftpsbridge_transfers_total",
			Help: "Finished data transfers, by command (STOR, RETR, LIST, ...) and result (ok, aborted, connection_lost, storage_error, ...).",
		}, []string{"command", "result"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ftpsbridge_transfer_bytes_total",
			Help: "Bytes moved on data connections, by command.",
		}, []string{"command"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ftpsbridge_transfer_duration_seconds",
			Help: "Duration of data transfers, from the 150 reply to the final one (as logged), by command.",
			// 10 ms to about 45 minutes: listings to large files.
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
		}, []string{"command"}),
	}
	m.reg.MustRegister(m.sessions, m.refused, m.logins, m.transfers, m.bytes, m.durations,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) SessionOpened()                  { m.sessions.Inc() }
func (m *Metrics) SessionClosed()                  { m.sessions.Dec() }
func (m *Metrics) ConnectionRefused(reason string) { m.refused.WithLabelValues(reason).Inc() }
func (m *Metrics) Login(result string)             { m.logins.WithLabelValues(result).Inc() }

func (m *Metrics) Transfer(command, result string, bytes int64, d time.Duration) {
	m.transfers.WithLabelValues(command, result).Inc()
	m.bytes.WithLabelValues(command).Add(float64(bytes))
	m.durations.WithLabelValues(command).Observe(d.Seconds())
}

// Handler serves the registry at /metrics and nothing else.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	return mux
}

// Serve answers on l until ctx is done.
func (m *Metrics) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 10 * time.Second}
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
