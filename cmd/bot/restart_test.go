package main

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/testwait"
)

func startNATS(t *testing.T, port int, dir string) *server.Server {
	t.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
	require.NoError(t, err)
	srv.Start()
	require.True(t, srv.ReadyForConnections(10*time.Second))
	return srv
}

// waitReady polls /readyz until it answers want.
func waitReady(t *testing.T, addr string, want int) {
	t.Helper()
	client := &http.Client{Timeout: 3 * time.Second}
	testwait.Until(t, func() bool {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == want
	}, func() string { return fmt.Sprintf("/readyz did not answer %d", want) })
}

// NATS restarted while the bot is busy: readiness goes false, people are
// told NATS is away, no alert is lost, and once NATS is back the bot
// recovers by itself.
func TestNATSRestartedUnderLoad(t *testing.T) {
	dir := t.TempDir()
	srv := startNATS(t, -1, dir)
	natsPort := srv.Addr().(*net.TCPAddr).Port
	defer func() { srv.Shutdown() }()
	p := start(t, fmt.Sprintf(`
http: {listen: "127.0.0.1:0"}
nats: {url: "nats://127.0.0.1:%d"}
console: {user: alice, enabled: true}
requests: {check_interval: 100ms, check_timeout: 5s}
alerts: {channels: {incidents: C0INCIDENTS}}
rules:
  - {name: backlog, match: {alertname: Backlog}, command: "pipeline pause {{ .Labels.pipeline }}", channel: incidents}
targets:
  pipelines: {orders-etl: p-7d3f9a21, billing-agg: p-1c2b3a45}
enos: {endpoint: sandbox, org_id: o-e2e, app_key: k, app_secret: s}
sandbox:
  enos:
    pipelines:
      - {id: p-7d3f9a21, name: orders-etl, status: RUNNING}
      - {id: p-1c2b3a45, name: billing-agg, status: STOPPED}
`, natsPort), nil)
	addr := p.logValue("serving HTTP", "addr")
	waitReady(t, addr, http.StatusOK)

	// Load: readiness probes and `pending` from the console, all along.
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		client := &http.Client{Timeout: time.Second}
		for !stop.Load() {
			if resp, err := client.Get("http://" + addr + "/readyz"); err == nil {
				resp.Body.Close()
			}
		}
	})
	defer func() { stop.Store(true); wg.Wait() }()

	// Alerts published just before NATS goes away, while the bot is still
	// working on them, and after it is back: none is lost.
	publishAlerts := func(from, to int) {
		nc, err := nats.Connect(srv.ClientURL())
		require.NoError(t, err)
		defer nc.Close()
		js, err := jetstream.New(nc)
		require.NoError(t, err)
		for i := from; i < to; i++ {
			_, err := js.Publish(t.Context(), "alerts.restart", fmt.Appendf(nil,
				`{"status":"firing","labels":{"alertname":"Backlog","pipeline":"p-%04d"},"fingerprint":"f%04d"}`, i, i))
			require.NoError(t, err)
		}
	}
	publishAlerts(0, 20)

	srv.Shutdown()
	srv.WaitForShutdown()
	waitReady(t, addr, http.StatusServiceUnavailable)
	p.send("pipeline pause orders-etl")
	p.waitFor(`! could not store the request in NATS, so it was not made and nothing will be done; try again once NATS is back`)

	srv = startNATS(t, natsPort, dir)
	waitReady(t, addr, http.StatusOK)
	publishAlerts(20, 30)
	// An alert whose handling NATS cut short comes again once the consumer's
	// ack wait (30 s) has passed on the restarted server: about a minute.
	testwait.Until(t, func() bool {
		for i := range 30 {
			if !strings.Contains(p.stderr.String(), fmt.Sprintf(`"fingerprint":"f%04d","request"`, i)) {
				return false
			}
		}
		return true
	}, func() string { return "a request for each of the 30 alerts\nstderr:\n" + p.stderr.String() })
	// The request is logged before its card is printed: wait for the cards.
	cards := func() int { return strings.Count(p.stdout.String(), "* alert Backlog proposes") }
	testwait.Until(t, func() bool { return cards() >= 30 }, func() string { return "a card for each of the 30 alerts\nstdout:\n" + p.stdout.String() })
	assert.Equal(t, 30, cards(), "one card per alert, none twice")
	p.send("pipeline pause orders-etl")
	id := p.waitFor(`\+-- pipeline pause orders-etl \(p-7d3f9a21\)\n\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.send("confirm " + id)
	p.waitFor(`Confirmed by alice\. Paused pipeline orders-etl`)
	assert.NotContains(t, p.stdout.String(), "panic")
}
