package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/sandbox/enossim"
	"github.com/streamops/streamops/internal/syncbuf"
)

// A console line of 1 MiB is refused; the bot, and the NATS server inside
// it, keep running.
func TestConsoleRefusesAHugeLineAndKeepsRunning(t *testing.T) {
	p := start(t, testConfig(t.TempDir(), ""), nil)
	p.send(strings.Repeat("x", 1<<20))
	p.waitFor(`! that line is longer than 64 KiB, so it was ignored`)
	p.send("pipeline pause orders-etl")
	p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)
	require.NoError(t, p.stop())
}

// Thousands of idle connections cannot starve the bot: it keeps answering,
// and readiness says whether the store takes a write.
func TestIdleConnectionFloodLeavesTheBotServing(t *testing.T) {
	p := start(t, testConfig(t.TempDir(), ""), nil)
	addr := p.logValue("serving HTTP", "addr")
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 5000 {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		require.NoError(t, err)
		conns = append(conns, c)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	require.Eventually(t, func() bool {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 20*time.Second, 50*time.Millisecond, "/readyz answers ready through the flood")
	p.send("pipeline pause orders-etl")
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.send("confirm " + id)
	p.waitFor(`Confirmed by alice\. Paused pipeline orders-etl`)
}

func TestCheckConfigRefusesAnAbandonLimitShorterThanACall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	cfg := strings.Replace(testConfig(t.TempDir(), ""), "app_secret: s}", "app_secret: s, timeout: 2m}", 1)
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	var out syncbuf.Buffer
	err := run(context.Background(), []string{"check-config", "--config", path}, func(string) string { return "" }, nil, &out, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "requests.abandon_after: 5m0s is not longer than the longest call enos.timeout can take (12m0.6s")

	ok := strings.Replace(cfg, "check_timeout: 5s}", "check_timeout: 5s, abandon_after: 15m}", 1)
	require.NoError(t, os.WriteFile(path, []byte(ok), 0o600))
	require.NoError(t, run(context.Background(), []string{"check-config", "--config", path}, func(string) string { return "" }, nil, &out, &out))
}

// A stop signal during a slow provider call waits shutdown.timeout for it,
// then says which request it leaves uncertain, and exits.
func TestStopDuringASlowCallIsBounded(t *testing.T) {
	sim := enossim.New(enossim.Config{Pipelines: []enossim.Pipeline{{ID: "p-7d3f9a21", Name: "orders-etl", Status: "RUNNING"}}}, "o-e2e", "k", "s")
	hold := make(chan struct{})
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("action") != "" {
			<-hold
		}
		sim.ServeHTTP(w, r)
	}))
	defer provider.Close()
	defer close(hold)
	p := start(t, fmt.Sprintf(`
http: {listen: "127.0.0.1:0"}
nats: {listen: "127.0.0.1:0", store_dir: %q}
console: {user: alice, enabled: true}
shutdown: {timeout: 1s}
targets: {pipelines: {orders-etl: p-7d3f9a21}}
enos: {endpoint: %q, org_id: o-e2e, app_key: k, app_secret: s, timeout: 30s}
`, t.TempDir(), provider.URL), nil)
	p.send("pipeline pause orders-etl")
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.send("confirm " + id)
	require.Eventually(t, func() bool { return strings.Contains(p.stderr.String(), `"state":"executing"`) }, 10*time.Second, 10*time.Millisecond)

	stopped := time.Now()
	p.signal()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
	case <-time.After(15 * time.Second):
		t.Fatal("the bot did not stop within 15s of the signal")
	}
	assert.Less(t, time.Since(stopped), 10*time.Second)
	assert.Contains(t, p.stderr.String(), "bot: stopped while "+id+" (pipeline pause orders-etl (p-7d3f9a21)) was being carried out: its outcome is uncertain")
	// The person at the console heard it too, and the store and the trail
	// keep it: nobody waits abandon_after to learn it.
	const why = "Outcome uncertain: the bot was stopped before it heard back from EnOS, so it may or may not have acted. Check the target's status before asking again."
	assert.Contains(t, p.stdout.String(), "* "+id+": "+why)
	var out, errs syncbuf.Buffer
	require.NoError(t, run(context.Background(), []string{"audit", "--config", p.config}, func(string) string { return "" }, nil, &out, &errs), errs.String())
	assert.Contains(t, out.String(), id+"  uncertain  pipeline pause orders-etl (p-7d3f9a21): "+why)

	again := start(t, readFile(t, p.config), nil)
	again.send("pending")
	again.waitFor(`No requests are waiting for confirmation\.`)
	again.send("history " + id)
	again.waitFor(id + `  uncertain  pipeline pause orders-etl \(p-7d3f9a21\): Outcome uncertain: the bot was stopped`)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}
