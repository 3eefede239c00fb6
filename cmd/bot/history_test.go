package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The console's history lists the requests alerts made, which it shows and
// confirms, beside its own; a request's ID finds that request alone.
func TestConsoleHistoryListsAlertRequestsAndFindsOneByID(t *testing.T) {
	dir := t.TempDir()
	p := start(t, testConfig(dir, alertRules), nil)
	p.send("pipeline stop billing-agg")
	own := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]

	nc := natsClient(t, p, dir)
	require.NoError(t, nc.Publish("alerts.prometheus", []byte(amBody("firing", "orders-etl"))))
	p.waitFor(`\* alert OrdersBacklog proposes`)
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.send("confirm " + id)
	p.waitFor(id + `: Confirmed by alice\. Paused pipeline orders-etl`)

	p.send("history")
	p.waitFor(`(?s)` + own + `  pending\s+pipeline stop billing-agg.*` + id + `  pending\s+pipeline pause orders-etl \(p-7d3f9a21\), asked by alert via alert.*` +
		id + `  succeeded\s+pipeline pause orders-etl \(p-7d3f9a21\), by alice`)

	p.send("history " + id)
	lines := p.waitFor(`(?s)streamops> (.*?)\nstreamops> `)[1]
	require.Regexp(t, `(?s)^\S+ \S+  `+id+`  pending .*`+id+`  succeeded `, lines)
	require.NotContains(t, lines, own)

	p.send("history r-000000")
	p.waitFor(`No requests here in the last 7 days\.`)
}
