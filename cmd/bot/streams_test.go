package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/syncbuf"
	"github.com/streamops/streamops/internal/testwait"
)

// /metrics shows how full each stream is against its configured bound, and
// the audit stream's bytes grow with the requests.
func TestMetricsShowHowFullTheStreamsAre(t *testing.T) {
	p := start(t, testConfig(t.TempDir(), "audit: {max_bytes: 64MiB}\n"+alertRules), nil)
	addr := p.logValue("serving HTTP", "addr")
	scrape := func() string { return scrapeMetrics(t, addr) }
	auditBytes := func(page string) int {
		m := regexp.MustCompile(`\nstreamops_stream_bytes\{stream="STREAMOPS_AUDIT"\} (\d+)\n`).FindStringSubmatch(page)
		require.NotNil(t, m, page)
		n, err := strconv.Atoi(m[1])
		require.NoError(t, err)
		return n
	}
	page := scrape()
	assert.Contains(t, page, `streamops_stream_max_bytes{stream="STREAMOPS_AUDIT"} 6.7108864e+07`)
	assert.Contains(t, page, `streamops_stream_max_bytes{stream="STREAMOPS_ALERTS"} 2.68435456e+08`)
	before := auditBytes(page)

	p.send("pipeline pause orders-etl")
	p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)
	testwait.Until(t, func() bool { return auditBytes(scrape()) > before }, func() string { return "the audit stream did not grow" })
}

func TestCheckConfigChecksStreamSizes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(testConfig(t.TempDir(), "audit: {max_bytes: 1x}\nalerts: {max_bytes: 1MiB}\n")), 0o600))
	var out syncbuf.Buffer
	err := run(context.Background(), []string{"check-config", "--config", path}, func(string) string { return "" }, nil, &out, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `audit.max_bytes: "1x" is not a size`)
	assert.Contains(t, err.Error(), `alerts.max_bytes: 1.0 MiB is out of range`)
}
