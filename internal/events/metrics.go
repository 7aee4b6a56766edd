package events

import "github.com/prometheus/client_golang/prometheus"

// metrics are the per-target counters, labelled by target name.
type metrics struct {
	sent, failed, retried *prometheus.CounterVec
	dropped               *prometheus.CounterVec
	queued                *prometheus.GaugeVec
}

func newMetrics() *metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	return &metrics{
		sent:    counter("ftpsbridge_events_sent_total", "Events delivered (answered 2xx), by target.", "target"),
		failed:  counter("ftpsbridge_events_failed_total", "Delivery attempts that failed (network error, timeout or non-2xx), by target.", "target"),
		retried: counter("ftpsbridge_events_retried_total", "Delivery attempts that were retries of an earlier failed one, by target.", "target"),
		dropped: counter("ftpsbridge_events_dropped_total", "Events given up, by target and reason (queue_full, spool_full, spool_error, rejected, corrupt, closed).", "target", "reason"),
		queued: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ftpsbridge_events_queued", Help: "Events waiting for delivery, by target and where they wait (memory, spool).",
		}, []string{"target", "where"}),
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.sent, m.failed, m.retried, m.dropped, m.queued}
}
