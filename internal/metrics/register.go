package metrics

import "github.com/prometheus/client_golang/prometheus"

// Register adds collectors of other packages (the event targets') to the
// registry served at /metrics.
func (m *Metrics) Register(cs ...prometheus.Collector) { m.reg.MustRegister(cs...) }
