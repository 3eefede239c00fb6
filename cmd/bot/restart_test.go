package main

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func startNATS(t *testing.T, port int, dir string) *server.Server {
	t.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
	require.NoError(t, err)
	srv.Start()
	require.True(t, srv.ReadyForConnections(10*time.Second))
	return srv
}

// waitReady polls /readyz until it answers want, within the deadline.
func waitReady(t *testing.T, addr string, want int) {
	t.Helper()
	client := &http.Client{Timeout: 3 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
		}
		require.True(t, time.Now().Before(deadline), "/readyz did not answer %d within 30s", want)
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
}

// NATS restarted while the bot is busy: readiness goes false, people are
// told NATS is away, and once it is back the bot recovers by itself.
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

	srv.Shutdown()
	srv.WaitForShutdown()
	waitReady(t, addr, http.StatusServiceUnavailable)
	p.send("pipeline pause orders-etl")
	p.waitFor(`! could not store the request in NATS, so it was not made and nothing will be done; try again once NATS is back`)

	srv = startNATS(t, natsPort, dir)
	waitReady(t, addr, http.StatusOK)
	p.send("pipeline pause orders-etl")
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.send("confirm " + id)
	p.waitFor(`Confirmed by alice\. Paused pipeline orders-etl`)
	assert.NotContains(t, p.stdout.String(), "panic")
}
