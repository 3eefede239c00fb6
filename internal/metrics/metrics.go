// Package metrics exposes what the bot does as Prometheus metrics.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/streamops/streamops/internal/ops"
)

// Metrics holds the collectors on a registry of its own, so that two bots in
// one process (as in tests) do not clash.
type Metrics struct {
	registry    *prometheus.Registry
	transitions *prometheus.CounterVec
	calls       *prometheus.HistogramVec
}

// New registers the collectors.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamops_requests_total",
			Help: "Requests that reached each state, by operation.",
		}, []string{"op", "state"}),
		calls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "streamops_provider_call_seconds",
			Help:    "Latency of state-changing provider calls, by provider, operation and result.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"provider", "op", "result"}),
	}
	m.registry.MustRegister(m.transitions, m.calls,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Transition counts a request reaching a state.
func (m *Metrics) Transition(op string, to ops.State) {
	m.transitions.WithLabelValues(op, string(to)).Inc()
}

// ProviderCall records how long a provider call took and whether it failed.
func (m *Metrics) ProviderCall(provider, op string, took time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.calls.WithLabelValues(provider, op, result).Observe(took.Seconds())
}

// Handler serves the metrics for /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
