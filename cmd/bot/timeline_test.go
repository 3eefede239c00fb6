package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/syncbuf"
)

// The console's `timeline` and `bot audit --format markdown` tell the same
// story from the audit trail: for a target, its requests alone, each with
// who asked and confirmed, the call, the outcome with the provider's
// request ID and the status read after.
func TestTimelineAtTheConsoleAndAsMarkdown(t *testing.T) {
	store := t.TempDir()
	p := start(t, testConfig(store, ""), nil)
	p.send("pipeline pause orders-etl")
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.send("confirm " + id)
	// The status follow-up may be printed before the outcome: either order.
	providerID := p.waitForAll(`Paused pipeline orders-etl \(p-7d3f9a21\): job ID p-7d3f9a21, request ID (\w+)`,
		`\* `+id+`: pipeline orders-etl \(p-7d3f9a21\) is PAUSED after `)[0][1]
	p.send("pipeline stop billing-agg")
	other := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]

	p.send("timeline 1h")
	p.waitFor(`(?s)Timeline of the console since [^\n]*: 2 requests\n\n` + id + `  pipeline pause orders-etl \(p-7d3f9a21\)\n` +
		`  call  EnOS POST [^\n]*\n` +
		`  \S+ \S+  asked by alice via console\n` +
		`  \S+ \S+  confirmed by alice\n` +
		`  \S+ \S+  succeeded: [^\n]*` + providerID + `\n` +
		`  \S+ \S+  status read after: pipeline orders-etl \(p-7d3f9a21\) is PAUSED[^\n]*\n\n` +
		other + `  pipeline stop billing-agg`)
	p.send("timeline forever")
	p.waitFor(`"forever" is not a time span: write how far back to look, like 30m, 2h or 3d \(default 24h, at most 7d\)`)
	require.NoError(t, p.stop())

	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(testConfig(store, "")), 0o600))
	var out, errs syncbuf.Buffer
	require.NoError(t, run(context.Background(), []string{"audit", "--config", path, "--since", "1h", "--target", "orders-etl", "--format", "markdown"}, func(string) string { return "" }, nil, &out, &errs), errs.String())
	assert.Regexp(t, `^# Timeline of target orders-etl since \S+ \S+: 1 request\n\n`+
		`## `+id+`: pipeline pause orders-etl \(p-7d3f9a21\)\n\n`+
		"- Call: `EnOS POST [^`\n]+`\n"+
		`- \S+ \S+: asked by alice via console\n`+
		`- \S+ \S+: confirmed by alice\n`+
		`- \S+ \S+: succeeded: [^\n]*`+providerID+`\n`+
		`- \S+ \S+: status read after: pipeline orders-etl \(p-7d3f9a21\) is PAUSED[^\n]*\n$`, out.String())
	assert.NotContains(t, out.String(), other)

	var none syncbuf.Buffer
	require.NoError(t, run(context.Background(), []string{"audit", "--config", path, "--channel", "C0NOWHERE", "--format", "markdown"}, func(string) string { return "" }, nil, &none, &errs), errs.String())
	assert.Regexp(t, `^# Timeline of channel C0NOWHERE since \S+ \S+: 0 requests\n$`, none.String())
	err := run(context.Background(), []string{"audit", "--config", path, "--target", "nosuch", "--format", "markdown"}, func(string) string { return "" }, nil, &none, &errs)
	assert.ErrorContains(t, err, `--target "nosuch": no configured target has this alias or ID`)
}
