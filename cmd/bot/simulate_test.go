package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/eg"
	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/syncbuf"
	"github.com/streamops/streamops/internal/testwait"
)

// The simulators serve on their own, for any client: here the bot's own
// clients, with AK/SK signing for EventGrid.
func TestSimulateServesBothProviders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
console: {user: alice}
enos: {endpoint: sandbox, org_id: o-sim, app_key: k, app_secret: s}
eg:
  endpoint: sandbox
  region: cn-north-4
  project_id: p0123456789
  auth: {mode: aksk, access_key: AKSIM, secret_key: SKSIM}
  operations: {stop: STOP, switch: SWITCH}
sandbox:
  enos:
    listen: 127.0.0.1:0
    pipelines: [{id: p-1, name: orders, status: RUNNING}]
  eg:
    listen: 127.0.0.1:0
    streams: [{id: s-1, name: clicks, status: STOPPED}]
`), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncbuf.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"simulate", "--config", path}, func(string) string { return "" }, nil, &stderr, &stderr)
	}()

	urls := map[string]string{}
	re := regexp.MustCompile(`(EnOS|EventGrid) simulator: (http://\S+)`)
	testwait.Until(t, func() bool {
		for _, m := range re.FindAllStringSubmatch(stderr.String(), -1) {
			urls[m[1]] = m[2]
		}
		return len(urls) == 2
	}, stderr.String)

	pipelines := enos.New(urls["EnOS"], enos.Config{OrgID: "o-sim", AppKey: "k", AppSecret: "s"})
	reqID, err := pipelines.Operate(ctx, "p-1", enos.Pause)
	require.NoError(t, err)
	assert.NotEmpty(t, reqID)
	p, err := pipelines.Pipeline(ctx, "p-1")
	require.NoError(t, err)
	assert.Equal(t, enos.StatusPaused, p.Status)

	streams, err := eg.New(urls["EventGrid"], "", eg.Config{Endpoint: eg.Sandbox, Region: "cn-north-4", ProjectID: "p0123456789",
		Auth: eg.Auth{Mode: eg.AuthAKSK, AccessKey: "AKSIM", SecretKey: "SKSIM"}})
	require.NoError(t, err)
	res, err := streams.OperateStream(ctx, "s-1", eg.StreamStart)
	require.NoError(t, err)
	assert.Equal(t, "s-1", res.ID)
	assert.NotEmpty(t, res.RequestID)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("simulate did not stop")
	}
}

func TestSimulateWithNothingToServe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte("console: {user: a}\nenos: {endpoint: sandbox, org_id: o1, app_key: k, app_secret: s}\n"), 0o600))
	var out syncbuf.Buffer
	err := run(context.Background(), []string{"simulate", "--config", path}, func(string) string { return "" }, nil, &out, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nothing to simulate: set sandbox.enos.listen")
}
