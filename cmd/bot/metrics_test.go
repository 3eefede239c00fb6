package main

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scrapeMetrics reads /metrics from the bot serving HTTP on addr.
func scrapeMetrics(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

// The streamops series are on /metrics, at zero, before the first request,
// and follow a request through its states and its status check.
func TestMetricsFromTheStart(t *testing.T) {
	p := start(t, testConfig(t.TempDir(), ""), nil)
	addr := p.logValue("serving HTTP", "addr")
	scrape := func() string { return scrapeMetrics(t, addr) }

	before := scrape()
	for _, series := range []string{
		`streamops_requests_total{op="pipeline pause",state="pending"} 0`,
		`streamops_requests_total{op="pipeline stop",state="failed"} 0`,
		`streamops_provider_call_seconds_count{account="default",op="pipeline pause",provider="EnOS",result="ok"} 0`,
		`streamops_status_checks_total{op="pipeline pause",result="reached"} 0`,
		`streamops_status_checks_total{op="pipeline pause",result="timed_out"} 0`,
		`streamops_open_requests{state="pending"} 0`,
		`streamops_open_requests{state="executing"} 0`,
		`streamops_nats_connected 1`,
	} {
		assert.Contains(t, before, series)
	}
	assert.NotContains(t, before, `op="pipeline list"`, "reads make no requests")

	p.send("pipeline pause orders-etl")
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	assert.Contains(t, scrape(), `streamops_open_requests{state="pending"} 1`)

	p.send("confirm " + id)
	p.waitForAll(`Paused pipeline`, `\* `+id+`: pipeline orders-etl \(p-7d3f9a21\) is PAUSED after `)
	after := scrape()
	assert.Contains(t, after, `streamops_open_requests{state="pending"} 0`)
	assert.Contains(t, after, `streamops_requests_total{op="pipeline pause",state="succeeded"} 1`)
	assert.Contains(t, after, `streamops_status_checks_total{op="pipeline pause",result="reached"} 1`)
}
