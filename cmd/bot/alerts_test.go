package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slacktest"
	"github.com/streamops/streamops/internal/testwait"
)

// alertRules is the alerts section of the tests' configs: a rule pausing
// the pipeline an OrdersBacklog alert names, posting in #incidents.
const alertRules = `
alerts:
  update_every: 20ms
  channels: {incidents: C0INCIDENT}
rules:
  - name: pause-backlogged
    match: {alertname: OrdersBacklog}
    matchers: ['severity=~"critical|page"', 'env!="dev"']
    command: "pipeline pause {{ .Labels.pipeline }}"
    channel: incidents
`

// amBody is an Alertmanager webhook body with one alert.
func amBody(status, pipeline string) string {
	ends := "0001-01-01T00:00:00Z"
	if status == "resolved" {
		ends = "2026-12-01T06:30:00Z"
	}
	return fmt.Sprintf(`{"version":"4","groupKey":"{}:{alertname=\"OrdersBacklog\"}","status":%q,"receiver":"streamops",
"notification_reason":"new","routeLabels":{"team":"data"},
"alerts":[{"status":%q,"labels":{"alertname":"OrdersBacklog","severity":"critical","env":"prod","pipeline":%q},
"annotations":{"summary":"orders pile up in %s"},"startsAt":"2026-12-01T06:00:00Z","endsAt":%q,
"generatorURL":"http://prometheus:9090/graph?g0.expr=backlog","fingerprint":"fp-%s"}]}`, status, status, pipeline, pipeline, ends, pipeline)
}

// natsClient connects a plain nats.go client, as `nats pub` would, to the
// embedded server of the bot whose store is dir.
func natsClient(t *testing.T, p *program, dir string) *nats.Conn {
	t.Helper()
	token, err := os.ReadFile(filepath.Join(dir, "client.token"))
	require.NoError(t, err)
	nc, err := nats.Connect(p.logValue("embedded nats-server started", "url"), nats.Token(strings.TrimSpace(string(token))))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

// storedAlert reads a request's alert as stored in NATS.
func storedAlert(t *testing.T, nc *nats.Conn, id string) ops.Alert {
	t.Helper()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	kv, err := js.KeyValue(t.Context(), bus.RequestsBucket)
	require.NoError(t, err)
	e, err := kv.Get(t.Context(), id)
	require.NoError(t, err)
	var r ops.Request
	require.NoError(t, json.Unmarshal(e.Value(), &r))
	require.NotNil(t, r.Alert, "request %s has its alert", id)
	return *r.Alert
}

// waitForFired polls the stored count of firings until it is want.
func waitForFired(t *testing.T, nc *nats.Conn, id string, want int) ops.Alert {
	t.Helper()
	var a ops.Alert
	testwait.Until(t, func() bool {
		a = storedAlert(t, nc, id)
		return a.Fired == want
	}, func() string { return fmt.Sprintf("request %s: fired %d times, want %d", id, a.Fired, want) })
	return a
}

// An Alertmanager body published with a plain NATS client becomes a card
// in the console; a person confirms it and the provider is called. Its
// resolution later changes nothing: the request had already run.
func TestAlertOnNATSProposesAndConfirmCallsProvider(t *testing.T) {
	dir := t.TempDir()
	p := start(t, testConfig(dir, alertRules), nil)
	nc := natsClient(t, p, dir)
	require.NoError(t, nc.Publish("alerts.prometheus", []byte(amBody("firing", "orders-etl"))))
	p.waitFor(`\* alert OrdersBacklog proposes \(rule pause-backlogged, channel C0INCIDENT\):`)
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.waitForAll(`\| Target\s+orders-etl \(p-7d3f9a21\)`, `\| Summary\s+orders pile up in orders-etl`,
		`\| Matched\s+alertname=OrdersBacklog env=prod severity=critical`, `\| Source\s+http://prometheus:9090/graph`,
		`\| Started\s+2026-12-01 06:00:00 UTC`, `\| Fired\s+once`, `\| Requested by\s+alert`)
	p.send("confirm " + id)
	p.waitFor(id + `: Confirmed by alice\. Paused pipeline orders-etl \(p-7d3f9a21\): job ID p-7d3f9a21, request ID `)

	require.NoError(t, nc.Publish("alerts.prometheus", []byte(amBody("resolved", "orders-etl"))))
	require.NoError(t, nc.Publish("alerts.prometheus", []byte(amBody("firing", "billing-agg"))))
	p.waitFor(`\| Target\s+billing-agg`) // handled in order: the resolution came first
	assert.NotContains(t, p.stdout.String(), "The alert resolved", "a confirmed request is not cancelled")
}

// A resolved alert cancels its still-pending request; the card says so and
// a confirmation after that is refused.
func TestResolvedAlertCancelsItsRequest(t *testing.T) {
	dir := t.TempDir()
	p := start(t, testConfig(dir, alertRules), nil)
	nc := natsClient(t, p, dir)
	require.NoError(t, nc.Publish("alerts.x", []byte(amBody("firing", "orders-etl"))))
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	require.NoError(t, nc.Publish("alerts.x", []byte(amBody("resolved", "orders-etl"))))
	p.waitFor(`\* ` + id + `: The alert resolved before anyone confirmed: the request is cancelled and nothing was done\.`)
	p.send("confirm " + id)
	p.waitFor(`! ` + id + ` was cancelled when its alert resolved: nothing was done\.`)
}

// A message that is no alert goes to alerts.dead with its subject and the
// reason, once, and the next alert is handled.
func TestUndecodableAlertGoesToDeadLetter(t *testing.T) {
	dir := t.TempDir()
	p := start(t, testConfig(dir, alertRules), nil)
	nc := natsClient(t, p, dir)
	dead, err := nc.SubscribeSync("alerts.dead")
	require.NoError(t, err)
	require.NoError(t, nc.Flush())
	require.NoError(t, nc.Publish("alerts.broken", []byte(`{"version":"4","alerts":"soon"}`)))
	m, err := dead.NextMsg(15 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, "alerts.broken", m.Header.Get(bus.HeaderSubject))
	assert.Contains(t, m.Header.Get(bus.HeaderReason), "not an alert: neither an Alertmanager webhook body nor an alert")
	assert.Equal(t, `{"version":"4","alerts":"soon"}`, string(m.Data))
	require.NoError(t, nc.Publish("alerts.x", []byte(amBody("firing", "orders-etl"))))
	p.waitFor(`\| Request\s+r-[0-9a-f]{6}`)
	_, err = dead.NextMsg(100 * time.Millisecond)
	assert.ErrorIs(t, err, nats.ErrTimeout, "dead-lettered once, never redelivered")
	assert.Equal(t, "alerts.broken", p.logValue("alert moved to the dead letter subject", "subject"))
}

// Alertmanager's webhook: the token is required when set, the body must be
// Alertmanager's, and at most 1 MiB; a good one makes a card.
func TestAlertmanagerWebhook(t *testing.T) {
	dir := t.TempDir()
	p := start(t, testConfig(dir, strings.Replace(alertRules, "alerts:\n", "alerts:\n  webhook_token: hook-secret\n", 1)), nil)
	addr := p.logValue("serving HTTP", "addr")
	post := func(token, body string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/alerts/alertmanager", strings.NewReader(body))
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, _ := post("", amBody("firing", "orders-etl"))
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = post("wrong", amBody("firing", "orders-etl"))
	assert.Equal(t, http.StatusUnauthorized, code)
	code, body := post("hook-secret", `{"labels":{"alertname":"OrdersBacklog"}}`)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "Alertmanager webhook version")
	code, _ = post("hook-secret", `{"version":"4","alerts":[{"labels":{"a":"b"}}],"pad":"`+strings.Repeat("x", 1<<20)+`"}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	code, body = post("hook-secret", amBody("firing", "orders-etl"))
	require.Equal(t, http.StatusOK, code, body)
	p.waitFor(`\* alert OrdersBacklog proposes`)
	p.waitFor(`\| Target\s+orders-etl \(p-7d3f9a21\)`)
	assert.NotContains(t, p.stderr.String(), "hook-secret", "no secret in the log")
}

// A storm: 10,000 copies of one firing alert and 50 distinct alerts make
// exactly 51 cards, and the first card's count ends at 10,000.
func TestAlertStormMakesOneCardPerAlert(t *testing.T) {
	dir := t.TempDir()
	p := start(t, testConfig(dir, alertRules), nil)
	nc := natsClient(t, p, dir)
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(20000))
	require.NoError(t, err)
	ctx := t.Context()
	publish := func(body string) {
		_, err := js.PublishAsync("alerts.storm", []byte(body))
		require.NoError(t, err)
	}
	storm := amBody("firing", "orders-etl")
	publish(storm)
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	start := time.Now()
	for i := range 9999 {
		publish(storm)
		if i%200 == 0 { // 50 distinct alerts, spread through the storm
			publish(amBody("firing", fmt.Sprintf("p-storm-%02d", i/200)))
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		t.Fatal("publishing did not complete")
	}
	a := waitForFired(t, nc, id, 10000)
	took := time.Since(start)
	t.Logf("10,050 alerts published and handled in %s (%.0f alerts/s)", took.Round(time.Millisecond), 10050/took.Seconds())
	assert.Equal(t, "OrdersBacklog", a.Name)
	p.waitFor(id + `: alert OrdersBacklog has fired 10000 times`)

	p.send("pending")
	out := p.waitFor(`(?s)r-[0-9a-f]{6}\s+pending.*?streamops> `)[0]
	assert.Len(t, regexp.MustCompile(`r-[0-9a-f]{6}\s+pending`).FindAllString(out, -1), 51, "51 open requests")
	cards := regexp.MustCompile(`\* alert OrdersBacklog proposes`).FindAllString(p.stdout.String(), -1)
	assert.Len(t, cards, 51, "one card per distinct alert")

	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	t.Logf("after the storm: heap in use %.1f MiB, %d goroutines (bot, embedded NATS and test in one process)", float64(m.HeapInuse)/(1<<20), runtime.NumGoroutine())
}

// Two bots on one NATS server share the alerts consumer: each alert is
// handled by one of them, so the counts add up exactly and each distinct
// alert makes one card between them.
func TestTwoBotsHandleEachAlertOnce(t *testing.T) {
	dir := t.TempDir()
	first := start(t, testConfig(dir, alertRules), nil)
	nc := natsClient(t, first, dir)
	token, err := os.ReadFile(filepath.Join(dir, "client.token"))
	require.NoError(t, err)
	url := first.logValue("embedded nats-server started", "url")
	secondConfig := strings.Replace(testConfig(t.TempDir(), alertRules), `nats: {listen: "127.0.0.1:-1", store_dir:`, fmt.Sprintf(`nats: {url: %q, store_dir:`, url), 1)
	second := start(t, secondConfig, map[string]string{"NATS_TOKEN": strings.TrimSpace(string(token))})
	second.logValue("consuming alerts", "msg")
	first.logValue("consuming alerts", "msg")

	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(20000))
	require.NoError(t, err)
	const copies, distinct = 2000, 20
	for i := range copies {
		_, err := js.PublishAsync("alerts.pair", []byte(amBody("firing", "orders-etl")))
		require.NoError(t, err)
		if i%(copies/distinct) == 0 {
			_, err := js.PublishAsync("alerts.pair", []byte(amBody("firing", fmt.Sprintf("p-pair-%02d", i))))
			require.NoError(t, err)
		}
	}
	<-js.PublishAsyncComplete()

	cardsOf := func(p *program) []string {
		return regexp.MustCompile(`\| Request\s+(r-[0-9a-f]{6})`).FindAllString(p.stdout.String(), -1)
	}
	var id string
	testwait.Until(t, func() bool { return len(cardsOf(first))+len(cardsOf(second)) >= 1+distinct },
		func() string { return "a card for each distinct alert" })
	all := append(cardsOf(first), cardsOf(second)...)
	require.Len(t, all, 1+distinct, "one card per distinct alert across both bots")
	for _, c := range all {
		got := regexp.MustCompile(`r-[0-9a-f]{6}`).FindString(c)
		if storedAlert(t, nc, got).Fingerprint == "fp-orders-etl" {
			id = got
		}
	}
	require.NotEmpty(t, id)
	waitForFired(t, nc, id, copies)
	handled := func(p *program) int {
		n := 0
		for _, l := range strings.Split(p.stderr.String(), "\n") {
			if strings.Contains(l, `"alert proposed a request"`) {
				n++
			}
		}
		return n
	}
	t.Logf("cards made: first bot %d, second bot %d", handled(first), handled(second))
}

// check-config names the rule and key of each bad matcher, template or
// channel.
func TestCheckConfigValidatesRules(t *testing.T) {
	dir := t.TempDir()
	bad := `
alerts:
  channels: {incidents: C0INCIDENT}
rules:
  - name: bad-matcher
    matchers: ['severity=~"(critical"']
    command: "pipeline pause orders-etl"
    channel: incidents
  - name: bad-template
    match: {alertname: A}
    command: "pipeline pause {{ .Labels.pipeline "
    channel: incidents
  - name: bad-channel
    match: {alertname: A}
    command: "pipeline pause {{ .Labels.pipeline }}"
    channel: war-room
  - name: misspelt
    match: {alertname: A}
    command: "pipline pause {{ .Labels.pipeline }}"
    channel: incidents
`
	path := filepath.Join(dir, "c.yaml")
	require.NoError(t, os.WriteFile(path, []byte(testConfig(dir, bad)), 0o600))
	err := run(context.Background(), []string{"check-config", "--config", path}, func(string) string { return "" }, nil, io.Discard, io.Discard)
	require.Error(t, err)
	for _, want := range []string{
		`rules[0] (bad-matcher).matchers[0]: "severity=~\"(critical\"" is not an Alertmanager matcher`,
		`rules[1] (bad-template).command: not a valid template`,
		`rules[2] (bad-channel).channel: "war-room" is not a key of alerts.channels (it has incidents)`,
		"rules[3] (misspelt).command: not a command this bot has: unknown command \"pipline\"",
		"did you mean `pipeline pause`?",
	} {
		assert.Contains(t, err.Error(), want)
	}
}

// With Slack, an alert's card goes to the rule's channel; a click on
// Confirm there calls the provider and the outcome lands in the thread.
func TestAlertCardInSlackChannelConfirmedByClick(t *testing.T) {
	api := slacktest.New(t)
	const secret = "test-signing-secret"
	dir := t.TempDir()
	h := startHeadless(t, slackConfig(dir, api.APIURL())+strings.Replace(alertRules, "C0INCIDENT", "C0INCIDENT", 1),
		map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": secret}, strings.NewReader(""))
	p := h
	nc := natsClient(t, p, dir)
	require.NoError(t, nc.Publish("alerts.slack", []byte(amBody("firing", "orders-etl"))))

	posting := posted(api, "blocks", "OrdersBacklog")
	card := posting.Form
	assert.Equal(t, "C0INCIDENT", card.Get("channel"))
	id := regexp.MustCompile(`r-[0-9a-f]{6}`).FindString(card.Get("blocks"))
	require.NotEmpty(t, id)
	ts := posting.TS

	payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":"U0BOB"},"container":{"type":"message","message_ts":%q,"channel_id":"C0INCIDENT"},"trigger_id":"t1","actions":[{"action_id":"confirm","block_id":"decision","value":%q,"type":"button","action_ts":"1.3"}]}`, ts, id)
	form := url.Values{"payload": {payload}}.Encode()
	resp, err := http.DefaultClient.Do(slacktest.Signed(t, "http://"+h.addr+"/slack/interactions", secret, form, time.Now()))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	reply := posted(api, "text", "Paused pipeline orders-etl (p-7d3f9a21)").Form
	assert.Equal(t, "C0INCIDENT", reply.Get("channel"))
	assert.NotEmpty(t, reply.Get("thread_ts"), "the outcome is in the card's thread")
	require.NoError(t, h.terminate())
}

// A rule whose command is refused says so in its channel, once for a storm
// of the alert; the rule that works beside it still proposes.
func TestRefusedAlertCommandIsReportedOnce(t *testing.T) {
	dir := t.TempDir()
	rules := alertRules + `
  - name: pause-unknown
    match: {alertname: OrdersBacklog}
    command: "pipeline pause {{ .Labels.pipeline }} {{ .Labels.env }}"
    channel: incidents
`
	p := start(t, testConfig(dir, rules), nil)
	nc := natsClient(t, p, dir)
	for range 20 {
		require.NoError(t, nc.Publish("alerts.x", []byte(amBody("firing", "orders-etl"))))
	}
	p.waitForAll(`! \[C0INCIDENT\] Alert OrdersBacklog \(rule pause-unknown, labels alertname=OrdersBacklog env=prod pipeline=orders-etl severity=critical\) proposed nothing: `+"`pipeline pause orders-etl prod` was refused: unexpected \"prod\"",
		`\* alert OrdersBacklog proposes \(rule pause-backlogged`)
	id := regexp.MustCompile(`\| Request\s+(r-[0-9a-f]{6})`).FindStringSubmatch(p.stdout.String())[1]
	waitForFired(t, nc, id, 20)
	assert.Equal(t, 1, strings.Count(p.stdout.String(), "proposed nothing"), "one report for the storm")
}

// A request message from other automation becomes a pending request that
// a person confirms; the answer names it, or says what is wrong.
func TestRequestMessageFromAutomation(t *testing.T) {
	dir := t.TempDir()
	p := start(t, testConfig(dir, alertRules), nil)
	nc := natsClient(t, p, dir)
	ask := func(body string) map[string]string {
		m, err := nc.Request("streamops.requests", []byte(body), 10*time.Second)
		require.NoError(t, err)
		var a map[string]string
		require.NoError(t, json.Unmarshal(m.Data, &a))
		return a
	}
	a := ask(`{"command":"pipeline pause orders-etl","requested_by":"runbook-bot","channel":"incidents","reason":"backlog runbook step 3"}`)
	require.Regexp(t, `^r-[0-9a-f]{6}$`, a["request"], a["error"])
	p.waitFor(`\| Request\s+` + a["request"])
	p.waitFor(`\| Reason\s+backlog runbook step 3`)
	p.waitFor(`\| Requested by\s+runbook-bot`)
	p.send("confirm " + a["request"])
	p.waitFor(a["request"] + `: Confirmed by alice\. Paused pipeline orders-etl`)

	assert.Contains(t, ask(`{"command":"pipeline pause nowhere","requested_by":"runbook-bot","channel":"incidents"}`)["error"], "nowhere")
	assert.Equal(t, "command, requested_by and channel are required", ask(`{"command":"pipeline pause orders-etl"}`)["error"])
	assert.Contains(t, ask(`not json`)["error"], "not a request")
}

// hostile is text from outside that would clear a terminal, ring its bell
// and reverse what follows, if it reached a front end raw.
const hostile = "\x1b[2J\a\u202e"

// sendHostileText sends it on every way outside text reaches a card or a
// notice: an alert's summary and matched labels, a rule that
// proposes nothing, and the reason of a request message.
func sendHostileText(t *testing.T, nc *nats.Conn) {
	t.Helper()
	body := strings.NewReplacer(`"env":"prod"`, `"env":"prod`+hostile+`"`, "orders pile up", "orders pile up"+hostile).
		Replace(amBody("firing", "orders-etl"))
	body = strings.ReplaceAll(body, hostile, strings.NewReplacer("\x1b", `\u001b`, "\a", `\u0007`).Replace(hostile))
	require.NoError(t, nc.Publish("alerts.x", []byte(body)))
	msg, err := json.Marshal(map[string]string{"command": "pipeline pause billing-agg", "requested_by": "runbook", "channel": "incidents", "reason": "step 3" + hostile})
	require.NoError(t, err)
	var answer *nats.Msg
	testwait.Until(t, func() bool { // the bot may still be subscribing
		answer, err = nc.Request("streamops.requests", msg, 10*time.Second)
		return err == nil
	}, func() string { return fmt.Sprintf("no answer on streamops.requests: %v", err) })
	require.Contains(t, string(answer.Data), `"request"`)
}

// hostileRules adds a rule that proposes nothing for the same alert, so its
// notice quotes the labels.
const hostileRules = alertRules + `
  - name: refused
    match: {alertname: OrdersBacklog}
    command: "pipeline pause {{ .Labels.pipeline }} {{ .Labels.alertname }}"
    channel: incidents
`

func assertPlain(t *testing.T, what, s string) {
	t.Helper()
	for _, r := range s {
		if r == '\n' || r == '\t' {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			t.Fatalf("%s holds %U: %q", what, r, s)
		}
	}
}

func TestOutsideTextReachesTheConsolePlain(t *testing.T) {
	dir := t.TempDir()
	p := start(t, testConfig(dir, hostileRules), nil)
	nc := natsClient(t, p, dir)
	sendHostileText(t, nc)
	p.waitForAll(`\| Summary\s+orders pile up `, `\| Matched\s+alertname=OrdersBacklog env=prod `,
		`\| Reason\s+step 3 `, `Alert OrdersBacklog \(rule refused, labels .*env=prod .*\) proposed nothing`)
	assertPlain(t, "the console", p.stdout.String())
}

func TestOutsideTextReachesSlackPlain(t *testing.T) {
	api := slacktest.New(t)
	dir := t.TempDir()
	h := startHeadless(t, slackConfig(dir, api.APIURL())+hostileRules,
		map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s"}, strings.NewReader(""))
	p := h
	sendHostileText(t, natsClient(t, p, dir))
	posted(api, "blocks", "orders pile up")
	posted(api, "blocks", "step 3")
	posted(api, "text", "proposed nothing") // the notice of the rule that proposed nothing
	for _, call := range api.Calls() {
		if call.Method != "chat.postMessage" {
			continue
		}
		post := call.Form
		assertPlain(t, "a message's text", post.Get("text"))
		if b := post.Get("blocks"); b != "" {
			var blocks any
			require.NoError(t, json.Unmarshal([]byte(b), &blocks))
			var walk func(v any)
			walk = func(v any) {
				switch v := v.(type) {
				case string:
					assertPlain(t, "a card's Block Kit JSON", v)
				case []any:
					for _, e := range v {
						walk(e)
					}
				case map[string]any:
					for _, e := range v {
						walk(e)
					}
				}
			}
			walk(blocks)
		}
	}
}

// An alert naming the pipeline by its alias and another by its ID count on
// one card: the ledger keys the target, not the command's text.
func TestAliasAndIDOfOnePipelineShareACard(t *testing.T) {
	dir := t.TempDir()
	p := start(t, testConfig(dir, alertRules), nil)
	nc := natsClient(t, p, dir)
	require.NoError(t, nc.Publish("alerts.x", []byte(amBody("firing", "orders-etl"))))
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	require.NoError(t, nc.Publish("alerts.x", []byte(amBody("firing", "p-7d3f9a21"))))
	waitForFired(t, nc, id, 2)
	assert.Equal(t, 1, strings.Count(p.stdout.String(), "| Request "), "one card")
}
