package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/sandbox/enossim"
	"github.com/streamops/streamops/internal/slacktest"
	"github.com/streamops/streamops/internal/syncbuf"
	"github.com/streamops/streamops/internal/testwait"
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
	provider, _, _ := heldEnOS(t)
	p := start(t, fmt.Sprintf(`
http: {listen: "127.0.0.1:0"}
nats: {listen: "127.0.0.1:0", store_dir: %q}
console: {user: alice, enabled: true}
shutdown: {timeout: 1s}
targets: {pipelines: {orders-etl: p-7d3f9a21}}
enos: {endpoint: %q, org_id: o-e2e, app_key: k, app_secret: s, timeout: 30s}
`, t.TempDir(), provider), nil)
	p.send("pipeline pause orders-etl")
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.send("confirm " + id)
	testwait.Until(t, func() bool { return strings.Contains(p.stderr.String(), `"state":"executing"`) }, func() string { return "never executing\n" + p.stderr.String() })

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

// A stop that leaves a call uncertain says so in the request's Slack
// thread, as it does on stderr, before the bot exits.
func TestStopTellsTheSlackThreadWhatItLeftUncertain(t *testing.T) {
	provider, arrived, _ := heldEnOS(t)
	api := slacktest.New(t)
	const secret = "test-signing-secret"
	config := strings.Replace(slackConfig(t.TempDir(), api.APIURL()), "enos: {endpoint: sandbox,", fmt.Sprintf("enos: {endpoint: %q, timeout: 30s,", provider), 1)
	h := startHeadless(t, config+"shutdown: {timeout: 1s}\n", map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": secret}, strings.NewReader(""))

	send := func(path, form string) {
		t.Helper()
		resp, err := http.DefaultClient.Do(slacktest.Signed(t, "http://"+h.addr+path, secret, form, time.Now()))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	send("/slack/commands", url.Values{"team_id": {"T0"}, "channel_id": {"C0OPS"}, "user_id": {"U0ALICE"}, "command": {"/streamops"},
		"text": {"pipeline pause orders-etl"}, "trigger_id": {"1.2.3"}}.Encode())
	card := posted(api, "blocks", "orders-etl (p-7d3f9a21)")
	ts := card.TS
	id := regexp.MustCompile(`r-[0-9a-f]{6}`).FindString(card.Form.Get("blocks"))
	require.NotEmpty(t, id)
	send("/slack/interactions", url.Values{"payload": {fmt.Sprintf(`{"type":"block_actions","user":{"id":"U0BOB"},"container":{"type":"message","message_ts":%q,"channel_id":"C0OPS"},"trigger_id":"t1","actions":[{"action_id":"confirm","block_id":"decision","value":%q,"type":"button","action_ts":"1.3"}]}`, ts, id)}}.Encode())
	select {
	case <-arrived:
	case <-time.After(15 * time.Second):
		t.Fatal("the call never reached the provider")
	}

	require.NoError(t, h.terminate())
	assert.Contains(t, h.stderr.String(), "bot: stopped while "+id+" (pipeline pause orders-etl (p-7d3f9a21)) was being carried out: its outcome is uncertain")
	reply := posted(api, "text", "Outcome uncertain: the bot was stopped before it heard back from EnOS").Form
	assert.Equal(t, "C0OPS", reply.Get("channel"))
	assert.Equal(t, ts, reply.Get("thread_ts"), "in the card's thread")
}

// heldEnOS is the EnOS simulator with orders-etl, behind a server that holds
// every state-changing call until release (or the test's end); arrived gets
// one value per call held.
func heldEnOS(t *testing.T) (url string, arrived chan struct{}, release func()) {
	sim := enossim.New(enossim.Config{Pipelines: []enossim.Pipeline{{ID: "p-7d3f9a21", Name: "orders-etl", Status: "RUNNING"}}}, "o-e2e", "k", "s")
	arrived, hold := make(chan struct{}, 8), make(chan struct{})
	release = sync.OnceFunc(func() { close(hold) })
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("action") != "" {
			arrived <- struct{}{}
			<-hold
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(provider.Close)
	t.Cleanup(release) // before Close, which waits for the held calls
	return provider.URL, arrived, release
}
