// Package metrics exposes what the bot does as Prometheus metrics.
package metrics

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/streamops/streamops/internal/alerts"
	"github.com/streamops/streamops/internal/ops"
)

// Metrics holds the collectors on a registry of its own, so that two bots in
// one process (as in tests) do not clash.
type Metrics struct {
	registry     *prometheus.Registry
	transitions  *prometheus.CounterVec
	calls        *prometheus.HistogramVec
	statusChecks *prometheus.CounterVec
	alerts       *prometheus.CounterVec
	accountInfo  *prometheus.GaugeVec

	mu       sync.Mutex
	accounts map[string][]string // by provider, the accounts Account named
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
			Help:    "Latency of state-changing provider calls, by provider, account, operation and result.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"provider", "account", "op", "result"}),
		statusChecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamops_status_checks_total",
			Help: "Status checks after successful calls, by operation and how they ended: reached, timed_out or stopped (by a shutdown).",
		}, []string{"op", "result"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamops_alerts_total",
			Help: "Alerts a rule matched, by what became of them: received, proposed, deduplicated (counted on an open request), suppressed (within the rule's cooldown), refused, cancelled (a resolution cancelled the request) or dead_lettered (a message).",
		}, []string{"outcome"}),
		accountInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "streamops_account_info",
			Help: "1 for each provider account the bot acts in, naming where its targets live: the region and project of an EventGrid account, the org of an EnOS one.",
		}, []string{"provider", "account", "region", "project", "org"}),
		accounts: map[string][]string{},
	}
	for _, o := range []string{alerts.Received, alerts.Proposed, alerts.Deduplicated, alerts.Suppressed, alerts.Refused, alerts.Cancelled, alerts.DeadLettered} {
		m.alerts.WithLabelValues(o)
	}
	m.registry.MustRegister(m.transitions, m.calls, m.statusChecks, m.alerts, m.accountInfo,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// states are every state a request can reach, in the order of its life.
var states = []ops.State{ops.Pending, ops.Executing, ops.Succeeded, ops.Failed, ops.Uncertain, ops.Cancelled, ops.Expired}

// AccountInfo is one provider account and where its targets live.
type AccountInfo struct {
	Provider string // as ops.Spec.Provider names it: "EnOS", "EventGrid"
	Account  string // as targets name it: ops.DefaultAccount for the default
	Region   string // an EventGrid account's
	Project  string // an EventGrid account's
	Org      string // an EnOS account's
}

// Account sets streamops_account_info to 1 for a, and has Declare create
// the series of a's provider calls: call it for each account before
// Declare. A provider given no account is declared in ops.DefaultAccount.
func (m *Metrics) Account(a AccountInfo) {
	m.accountInfo.WithLabelValues(a.Provider, a.Account, a.Region, a.Project, a.Org).Set(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.accounts[a.Provider] = append(m.accounts[a.Provider], a.Account)
}

// accountsOf are the accounts Declare creates provider's call series in.
func (m *Metrics) accountsOf(provider string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if as := m.accounts[provider]; len(as) > 0 {
		return as
	}
	return []string{ops.DefaultAccount}
}

// Declare creates each operation's series at zero, so that dashboards and
// alerts see them before the first request (a rate over a missing series is
// no data, not zero).
func (m *Metrics) Declare(operations []ops.OperationInfo) {
	for _, o := range operations {
		for _, s := range states {
			m.transitions.WithLabelValues(o.Name, string(s))
		}
		for _, account := range m.accountsOf(o.Provider) {
			for _, result := range []string{"ok", "error"} {
				m.calls.WithLabelValues(o.Provider, account, o.Name, result)
			}
		}
		if o.Checked {
			for _, result := range []string{ops.CheckReached, ops.CheckTimedOut, ops.CheckStopped} {
				m.statusChecks.WithLabelValues(o.Name, result)
			}
		}
	}
}

// OpenRequests lists the requests that are pending or executing, on every
// replica: ops.Service does.
type OpenRequests interface {
	Pending(ctx context.Context) ([]ops.Request, error)
}

// scrapeTimeout bounds the reads a scrape makes.
const scrapeTimeout = 2 * time.Second

// WatchRequests adds streamops_open_requests{state}: the requests pending and
// executing now, read from the shared store at each scrape, so that every
// replica reports the same numbers. (Not streamops_requests: OpenMetrics
// gives streamops_requests_total that family name.)
func (m *Metrics) WatchRequests(open OpenRequests) {
	m.registry.MustRegister(&openCollector{open: open, desc: prometheus.NewDesc(
		"streamops_open_requests", "Requests pending (waiting for confirmation) and executing now, in the shared store.",
		[]string{"state"}, nil)})
}

type openCollector struct {
	open OpenRequests
	desc *prometheus.Desc
}

func (c *openCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *openCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	rs, err := c.open.Pending(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	n := map[ops.State]float64{}
	for _, r := range rs {
		n[r.State]++
	}
	for _, s := range []ops.State{ops.Pending, ops.Executing} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, n[s], string(s))
	}
}

// WatchNATS adds streamops_nats_connected: 1 while connected is true.
func (m *Metrics) WatchNATS(connected func() bool) {
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "streamops_nats_connected",
		Help: "1 while the bot is connected to NATS, 0 while it is not (reconnecting).",
	}, func() float64 {
		if connected() {
			return 1
		}
		return 0
	}))
}

// StreamFill reads how many bytes a JetStream stream holds and the most it
// may hold (the bus does).
type StreamFill func(ctx context.Context, stream string) (stored uint64, limit int64, err error)

// WatchStreams adds streamops_stream_bytes and streamops_stream_max_bytes
// for each stream, read at each scrape: a dashboard or an alert on their
// ratio sees a stream fill before its oldest entries are dropped.
func (m *Metrics) WatchStreams(fill StreamFill, streams ...string) {
	m.registry.MustRegister(&streamCollector{fill: fill, streams: streams,
		bytes: prometheus.NewDesc("streamops_stream_bytes", "Bytes a JetStream stream of the bot holds now.", []string{"stream"}, nil),
		max:   prometheus.NewDesc("streamops_stream_max_bytes", "The most a JetStream stream of the bot may hold (max_bytes); when full, its oldest entries are dropped.", []string{"stream"}, nil),
	})
}

type streamCollector struct {
	fill       StreamFill
	streams    []string
	bytes, max *prometheus.Desc
}

func (c *streamCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.bytes
	ch <- c.max
}

func (c *streamCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	for _, s := range c.streams {
		stored, limit, err := c.fill(ctx, s)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(c.bytes, err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(stored), s)
		ch <- prometheus.MustNewConstMetric(c.max, prometheus.GaugeValue, float64(limit), s)
	}
}

// Transition counts a request reaching a state.
func (m *Metrics) Transition(op string, to ops.State) {
	m.transitions.WithLabelValues(op, string(to)).Inc()
}

// ProviderCall records how long a provider call in account took and
// whether it failed.
func (m *Metrics) ProviderCall(provider, account, op string, took time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.calls.WithLabelValues(provider, account, op, result).Observe(took.Seconds())
}

// StatusCheck counts how a status check ended.
func (m *Metrics) StatusCheck(op, result string) {
	m.statusChecks.WithLabelValues(op, result).Inc()
}

// Alert counts what became of an alert (alerts.Metrics).
func (m *Metrics) Alert(outcome string) {
	m.alerts.WithLabelValues(outcome).Inc()
}

// Handler serves the metrics for /metrics.
func (m *Metrics) Handler() http.Handler {
	// A store that cannot be read fails its own series, not the whole page.
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
