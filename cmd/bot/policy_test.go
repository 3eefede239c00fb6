package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slacktest"
	"github.com/streamops/streamops/internal/syncbuf"
)

const consolePolicy = `
policy:
  - name: console-pause
    operations: ["pipeline pause", "pipeline show"]
    requesters: [alice]
    confirmers: [alice]
  - name: stops
    operations: ["pipeline stop"]
    requesters: [alice]
    confirmers: [alice, bob]
    two_person: true
`

// The console user goes through the same policy as Slack users.
func TestConsoleUnderPolicy(t *testing.T) {
	p := start(t, testConfig(t.TempDir(), consolePolicy), nil)
	p.send("help")
	p.waitFor(`pipeline pause <pipeline>`)
	p.waitFor(`Not open to alice at the console under the policy: pipeline list, pipeline start`)

	p.send("pipeline start billing-agg")
	p.waitFor(`! Refused: no policy rule covers pipeline start at the console, so nobody may ask for it there\. Nothing was done\.`)

	p.send("pipeline stop orders-etl")
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.send("confirm " + id)
	p.waitFor(`! Refused by policy rule "stops": it needs two people, and alice asked for ` + id + `, so someone else must confirm it\. Who may: bob\. Nothing was done; ` + id + ` is still pending\.`)

	p.send("pipeline pause orders-etl")
	id = p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.send("confirm " + id)
	p.waitFor(`Confirmed by alice\. Paused pipeline orders-etl`)

	// history lists the console's requests in order.
	p.send("history orders-etl")
	p.waitFor(`(?s)pending\s+pipeline stop orders-etl \(p-7d3f9a21\), asked by alice via console.*pending\s+pipeline pause orders-etl.*executing\s+pipeline pause orders-etl \(p-7d3f9a21\), by alice.*succeeded\s+pipeline pause orders-etl`)
	require.NoError(t, p.stop())
}

func TestCheckConfigValidatesThePolicy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	bad := testConfig(t.TempDir(), `
policy:
  - name: pipelines
    operations: ["pipeline pause", "pipeline explode"]
    requesters: ["@oncall"]
    channels: ["#ops"]
  - name: pipelines
    operations: ["*"]
    requesters: ["*"]
    confirmers: ["*"]
audit: {retention: 1m}
`)
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o600))
	var out syncbuf.Buffer
	err := run(context.Background(), []string{"check-config", "--config", path}, func(string) string { return "" }, nil, &out, &out)
	require.Error(t, err)
	for _, want := range []string{
		`policy[0].operations: "pipeline explode" names no command`,
		`policy[0].confirmers: required`,
		`policy[0].channels: "#ops" is not a channel ID`,
		`policy[1].name: "pipelines" is also the name of policy[0]`,
		`audit.retention: 1m0s is out of range`,
	} {
		assert.Contains(t, err.Error(), want)
	}

	require.NoError(t, os.WriteFile(path, []byte(testConfig(t.TempDir(), consolePolicy)), 0o600))
	require.NoError(t, run(context.Background(), []string{"check-config", "--config", path}, func(string) string { return "" }, nil, &out, &out))

	// The example config's policy is valid too.
	require.NoError(t, run(context.Background(), []string{"check-config", "--config", "../../config.example.yaml"}, func(string) string { return "" }, nil, &out, &out))
}

// A full request's events, in order, are read back by `bot audit` after
// the bot that made them has stopped and started again.
func TestAuditReadsARequestBackAfterARestart(t *testing.T) {
	store := t.TempDir()
	p := start(t, testConfig(store, ""), nil)
	p.send("pipeline pause orders-etl")
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.send("confirm " + id)
	p.waitForAll(`Paused pipeline orders-etl`, `\* `+id+`: pipeline orders-etl \(p-7d3f9a21\) is PAUSED after `)
	p.send("pipeline stop billing-agg") // another target, left pending
	other := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	require.NoError(t, p.stop())

	// The bot runs again on the same data; `bot audit` reads alongside it.
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(testConfig(store, "")), 0o600))
	again := start(t, testConfig(store, ""), nil)
	_ = again

	var out, errs syncbuf.Buffer
	require.NoError(t, run(context.Background(), []string{"audit", "--config", path, "--since", "1h", "--target", "orders-etl", "--format", "json"}, func(string) string { return "" }, nil, &out, &errs), errs.String())
	var events []ops.Event
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		var e ops.Event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), sc.Text())
		events = append(events, e)
	}
	var states []ops.State
	for _, e := range events {
		assert.Equal(t, id, e.RequestID, "--target keeps to orders-etl")
		states = append(states, e.State)
	}
	require.Equal(t, []ops.State{ops.Pending, ops.Executing, ops.Succeeded, ops.Checked}, states)
	assert.Equal(t, "alice", events[0].Requester)
	assert.Equal(t, ops.FrontendConsole, events[0].Origin.Frontend)
	assert.Equal(t, "alice", events[1].Actor)
	require.NotNil(t, events[2].Outcome)
	assert.NotEmpty(t, events[2].Outcome.RequestID)
	assert.Contains(t, out.String(), `"provider_request_id":"`+events[2].Outcome.RequestID+`"`, "the provider's ID is named as such")
	assert.Equal(t, ops.Succeeded, events[3].From, "the check says which state the request keeps")
	assert.Contains(t, events[3].Note, "is PAUSED after")
	for i := 1; i < len(events); i++ {
		assert.False(t, events[i].Time.Before(events[i-1].Time), "in order")
	}

	var text syncbuf.Buffer
	require.NoError(t, run(context.Background(), []string{"audit", "--config", path, "--since", "1h"}, func(string) string { return "" }, nil, &text, &errs), errs.String())
	lines := strings.Split(strings.TrimSpace(text.String()), "\n")
	require.Len(t, lines, 5, text.String())
	assert.Regexp(t, id+`  pending\s+pipeline pause orders-etl \(p-7d3f9a21\), asked by alice via console`, lines[0])
	assert.Regexp(t, `succeeded\s+pipeline pause orders-etl \(p-7d3f9a21\), by alice: Paused pipeline orders-etl`, lines[2])
	assert.Regexp(t, other+`  pending\s+pipeline stop billing-agg`, lines[4])
}

// `bot audit` also reads when no bot runs: it opens the data itself.
func TestAuditWithoutARunningBot(t *testing.T) {
	store := t.TempDir()
	p := start(t, testConfig(store, ""), nil)
	p.send("pipeline pause orders-etl")
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.send("cancel " + id)
	p.waitFor(`Cancelled by alice`)
	require.NoError(t, p.stop())

	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(testConfig(store, "")), 0o600))
	var out, errs syncbuf.Buffer
	require.NoError(t, run(context.Background(), []string{"audit", "--config", path}, func(string) string { return "" }, nil, &out, &errs), errs.String())
	assert.Regexp(t, `(?s)`+id+`  pending.*`+id+`  cancelled\s+pipeline pause orders-etl \(p-7d3f9a21\), by alice`, out.String())

	err := run(context.Background(), []string{"audit", "--config", path, "--format", "xml"}, func(string) string { return "" }, nil, &out, &errs)
	assert.ErrorContains(t, err, `--format "xml": give text, json or markdown`)
}

// SIGTERM during a slow provider call that returns within shutdown.timeout:
// the call's outcome is reported to the person and kept, then the bot exits.
func TestStopWaitsForTheCallAndReportsItsOutcome(t *testing.T) {
	provider, arrived, release := heldEnOS(t)
	p := start(t, fmt.Sprintf(`
http: {listen: "127.0.0.1:0"}
nats: {listen: "127.0.0.1:0", store_dir: %q}
console: {user: alice, enabled: true}
shutdown: {timeout: 20s}
requests: {check_interval: 100ms, check_timeout: 5s}
targets: {pipelines: {orders-etl: p-7d3f9a21}}
enos: {endpoint: %q, org_id: o-e2e, app_key: k, app_secret: s, timeout: 30s}
`, t.TempDir(), provider), nil)
	p.send("pipeline pause orders-etl")
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.send("confirm " + id)
	select {
	case <-arrived:
	case <-time.After(15 * time.Second):
		t.Fatal("the call never reached the provider")
	}

	p.signal()
	// The bot waits for the call; it does not exit while the call runs.
	select {
	case err := <-p.done:
		t.Fatalf("the bot exited (%v) with a call in flight", err)
	case <-time.After(300 * time.Millisecond): // a bounded look, not a wait for a condition
	}
	release()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
	case <-time.After(15 * time.Second):
		t.Fatal("the bot did not exit after the call returned")
	}
	assert.Contains(t, p.stdout.String(), "Confirmed by alice. Paused pipeline orders-etl (p-7d3f9a21)", "the outcome was reported before the exit")
	assert.NotContains(t, p.stderr.String(), "its outcome is uncertain")
	assert.Contains(t, p.stderr.String(), `"state":"succeeded"`, "and kept")

	// After the exit, the trail holds the outcome.
	var out, errs syncbuf.Buffer
	require.NoError(t, run(context.Background(), []string{"audit", "--config", p.config}, func(string) string { return "" }, nil, &out, &errs), errs.String())
	assert.Regexp(t, id+`  succeeded\s+pipeline pause orders-etl`, out.String())
}

const groupsPolicy = `
policy:
  - name: operators
    operations: ["pipeline *"]
    requesters: ["@oncall", alice]
    confirmers: ["@oncall", "@sre-leads", alice]
`

// check-config asks Slack, when it is configured and answers, whether the
// policy's user groups exist, and names each one that does not.
func TestCheckConfigNamesMissingSlackGroups(t *testing.T) {
	api := slacktest.New(t)
	api.SetGroups(map[string][]string{"oncall": {"U0BOB"}})
	dir := t.TempDir()
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}
	check := func(apiURL string) (string, error) {
		path := filepath.Join(dir, "c.yaml")
		require.NoError(t, os.WriteFile(path, []byte(testConfig(dir, fmt.Sprintf("slack: {api_url: %q}\n", apiURL)+groupsPolicy)), 0o600))
		var out strings.Builder
		err := run(context.Background(), []string{"check-config", "--config", path}, func(k string) string { return env[k] }, nil, &out, &out)
		return out.String(), err
	}
	_, err := check(api.APIURL())
	require.Error(t, err)
	assert.Equal(t, "policy: Slack has no user group @sre-leads: nobody is in it, so the rules naming it let nobody through. Create it in Slack (People, User groups, with that handle), or name people by member ID in the policy instead", err.Error())

	api.SetGroups(map[string][]string{"oncall": {"U0BOB"}, "sre-leads": {"U0BOB"}})
	out, err := check(api.APIURL())
	require.NoError(t, err)
	assert.NotContains(t, out, "note:")

	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	out, err = check(gone.URL + "/api/")
	require.NoError(t, err, "Slack not answering is no fault of the config")
	assert.Contains(t, out, "note: the policy's user groups were not checked in Slack")
}

// At start, the log names every user group of the policy that Slack does
// not have, once.
func TestServeNamesMissingSlackGroupsAtStart(t *testing.T) {
	api := slacktest.New(t)
	h := startHeadless(t, slackConfig(t.TempDir(), api.APIURL())+groupsPolicy, map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s",
	}, strings.NewReader(""))
	p := h
	assert.Equal(t, "[@oncall @sre-leads]", p.logValue("the policy names user groups Slack does not have: nobody is in them, so the rules naming them let nobody through; create them in Slack or change the policy", "groups"))
	require.NoError(t, h.terminate())
}

// stagedPolicy makes orders-etl production and billing-agg, of the test
// config, staging.
const stagedPolicy = `
policy:
  - name: production
    operations: ["pipeline *"]
    targets: ["pipeline:orders-*"]
    requesters: [bob]
    confirmers: [bob]
  - name: staging
    operations: ["pipeline pause", "pipeline start"]
    targets: ["billing-*"]
    requesters: [alice]
    confirmers: [alice]
  - name: staging-too
    operations: ["pipeline start"]
    targets: ["billing-agg"]
    requesters: ["*"]
    confirmers: ["*"]
`

// The same person at the console: a start allowed on staging is refused on
// production, by the rule that names production.
func TestConsolePolicyByTarget(t *testing.T) {
	p := start(t, testConfig(t.TempDir(), stagedPolicy), nil)
	// serve logs, as check-config prints, the rule that can never match.
	assert.Contains(t, p.logValue("a policy rule can never match; check-config says the same", "problem"), `policy[2] ("staging-too") never decides anything: policy[1] ("staging")`)

	p.send("pipeline start billing-agg")
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.waitFor(`May confirm: alice\.`)
	p.send("confirm " + id)
	p.waitFor(`Confirmed by alice\. Started pipeline billing-agg \(p-1c2b3a45\)`)

	p.send("pipeline start orders-etl")
	p.waitFor(`! Refused by policy rule "production": alice may not ask for pipeline start on pipeline orders-etl at the console\. Who may: bob\. Nothing was done\.`)
	p.send("help")
	p.waitFor(`pipeline start <pipeline>`)
	p.waitFor(`Not open to alice at the console under the policy: pipeline list, pipeline show, pipeline stop`)
	require.NoError(t, p.stop())
}
