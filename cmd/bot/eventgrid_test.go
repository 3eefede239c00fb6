package main

// End-to-end console tests of the EventGrid commands (stream start|pause|
// show|list, job start|stop|show|list|switch|create) against the in-process
// EventGrid simulator, as a person at the console sees them.

import (
	"bufio"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What the simulator is seeded with (see egConfig).
const (
	egProject     = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	egScope       = "region cn-north-4, project " + egProject
	clickstreamID = "6f8e2d1c-0b9a-4c3d-8e7f-1a2b3c4d5e6f" // RUNNING
	auditTrailID  = "9d7c5b3a-1e2f-4a6b-8c0d-2e4f6a8b0c1d" // STOPPED
	ordersDRID    = "fac59513-6c18-4266-bc81-5d412dfc1925" // RUNNING, 10.0.0.5:9092 -> 10.0.1.7:9092
	billingDRID   = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9" // STOPPED, 10.0.2.5:9092 -> 10.0.3.7:9092
	unknownID     = "00000000-0000-4000-8000-000000000000"
	ordersSource  = "10.0.0.5:9092"
	ordersTarget  = "10.0.1.7:9092"

	// sinkPassword is the SASL template's password, given only through the
	// environment variable its password_env names.
	sinkPassword = "Kafka-Sink-Pw-7Q2x9Lm4"

	// egRequestID is the simulator's X-Request-Id: request_uuid-timestamp-hostname.
	egRequestID = `[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}-\d+-egsim`
	// egUUID is the ID the simulator gives a created job.
	egUUID = `[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}`
)

const egTokenAuth = `{mode: token, token: e2e-static-token-5b1c}`

// eg.auth sections, each with the secret that must never be shown.
var egAuthModes = []struct{ mode, yaml, secret string }{
	{"token", egTokenAuth, "e2e-static-token-5b1c"},
	{"password", `{mode: password, domain: e2e-domain, user: e2e-bot, password: e2e-iam-pass-77d2}`, "e2e-iam-pass-77d2"},
	{"aksk", `{mode: aksk, access_key: E2EACCESSKEY0001, secret_key: e2e-sk-3f9a0c}`, "e2e-sk-3f9a0c"},
}

const egConfigTemplate = `
http: {listen: "127.0.0.1:0"}
nats: {listen: "127.0.0.1:0", store_dir: $store}
console: {user: alice, enabled: true}
requests: {expiry: 10m, check_interval: 100ms, check_timeout: 5s}
log: {level: debug}
targets:
  streams: {clickstream: $clickstream, audit-trail: $audit}
  jobs: {orders-dr: $orders, billing-dr: $billing}
eg:
  endpoint: sandbox
  region: cn-north-4
  project_id: $project
  auth: $auth
  operations: {stop: $stop, switch: SWITCH}
  templates:
    kafka-dr:
      cluster_id: fac59513-6c18-4266-bc81-5d412dfc1925
      source: &primary
        kafka:
          config_type: CLOUD
          region: cn-north-4
          project_id: $project
          instance_id: cdecf0b0-35b8-461b-a430-d7cd02d3d712
          cluster_alias: primary
          address: 10.0.0.5:9092
          authenticate_mode: PLAINTEXT
      sink:
        kafka: &standby
          config_type: CLOUD
          region: cn-north-4
          project_id: $project
          instance_id: 47896f0e-f90a-4528-b407-78ee00362cc9
          cluster_alias: standby
          address: 10.0.1.7:9092
          authenticate_mode: PLAINTEXT
      advance:
        kafka2kafka:
          topics: orders,payments
          replica_cnt: 3
          seek_to: latest
          compress_alg: none
          is_sync_progress: true
          is_add_header: false
    kafka-dr-sasl:
      cluster_id: fac59513-6c18-4266-bc81-5d412dfc1925
      source: *primary
      sink:
        kafka:
          <<: *standby
          authenticate_mode: SASL_SSL
          user_name: dr-sync
          password_env: DR_SINK_KAFKA_PASSWORD
sandbox:
  eg:
    streams:
      - {id: $clickstream, name: clickstream, status: RUNNING}
      - {id: $audit, name: audit-trail, status: STOPPED}
    jobs:
      - {id: $orders, name: orders-dr, status: RUNNING, source_address: "10.0.0.5:9092", sink_address: "10.0.1.7:9092"}
      - {id: $billing, name: billing-dr, status: STOPPED, source_address: "10.0.2.5:9092", sink_address: "10.0.3.7:9092"}
`

// egConfig is testConfig for EventGrid: auth is an eg.auth section, stop
// the operation string for `job stop` ("" leaves the command unset).
func egConfig(storeDir, auth, stop string) string {
	return strings.NewReplacer(
		"$store", strconv.Quote(storeDir), "$auth", auth, "$stop", strconv.Quote(stop),
		"$project", egProject, "$clickstream", clickstreamID, "$audit", auditTrailID,
		"$orders", ordersDRID, "$billing", billingDRID,
	).Replace(egConfigTemplate)
}

var egEnv = map[string]string{"DR_SINK_KAFKA_PASSWORD": sinkPassword}

// egBot is a running bot with EventGrid, and the steps of its console flow.
type egBot struct{ *program }

func startEG(t *testing.T, auth, stop string) egBot {
	t.Helper()
	return egBot{start(t, egConfig(t.TempDir(), auth, stop), egEnv)}
}

// field is a card line: the label, then value as typed.
func field(label, value string) string {
	return `\| ` + regexp.QuoteMeta(label) + `\s+` + regexp.QuoteMeta(value) + `\n`
}

// bodyLine is a line of a card's multi-line job body.
func bodyLine(line string) string { return `\|\s+` + regexp.QuoteMeta(line) + `\n` }

// named is how a target with an alias is written: "orders-dr (fac5...)".
func named(alias, id string) string { return regexp.QuoteMeta(alias + " (" + id + ")") }

// egCall is the Call field of a card for a POST with this path and body.
func egCall(path, body string) string {
	return strings.TrimSpace("EventGrid POST /v1/" + egProject + path + " " + body)
}

// propose sends a state-changing command, waits for its card to show fields
// (regexes, in order) and returns the card's request ID.
func (b egBot) propose(cmd string, fields ...string) string {
	b.t.Helper()
	b.send(cmd)
	id := b.waitFor(`\+-- .*\n\| Request\s+(r-[0-9a-f]{6})\n`)[1]
	for _, f := range fields {
		b.waitFor(f)
	}
	b.waitFor(field("Requested by", "alice") + `(?:.*\n)*?\| Expires\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n`)
	b.waitFor("\\+-- Waiting for confirmation: `confirm " + id + "` or `cancel " + id + "`\\.\n")
	return id
}

// confirm confirms id and waits for the outcome, with its job ID and the
// provider's request ID, and for the status follow-up line; they may come in
// either order. It returns the job ID.
func (b egBot) confirm(id, outcome, followUp string) string {
	b.t.Helper()
	b.send("confirm " + id)
	got := b.waitForAll(
		`Confirmed by alice\. `+outcome+`(?::|,) job ID (\S+), request ID `+egRequestID+`\n`,
		`\n\* `+id+`: `+followUp+` after \d+m?s\.\n`,
	)
	return got[0][1]
}

// refuse sends bad input and checks that the answer is the one line
// "! want" and no card.
func (b egBot) refuse(cmd, want string) {
	b.t.Helper()
	from := b.seen
	b.send(cmd)
	b.waitFor(`! ` + regexp.QuoteMeta(want) + `\n`)
	assert.NotContains(b.t, b.stdout.String()[from:b.seen], "| Request", "%q made a card", cmd)
}

// show sends a read-only command and waits for its answer.
func (b egBot) show(cmd, want string) {
	b.t.Helper()
	b.send(cmd)
	b.waitFor(want)
}

// logLines counts the JSON log lines for which match is true.
func (b egBot) logLines(match func(line map[string]any) bool) int {
	n := 0
	sc := bufio.NewScanner(strings.NewReader(b.stderr.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && match(line) {
			n++
		}
	}
	return n
}

func TestEGStreamStartWithEachAuthMode(t *testing.T) {
	for _, auth := range egAuthModes {
		t.Run(auth.mode, func(t *testing.T) {
			t.Parallel()
			b := startEG(t, auth.yaml, "STOP")
			b.show("stream show audit-trail", `Stream `+named("audit-trail", auditTrailID)+`: STOPPED \(name "audit-trail", `+egScope+`\)\n`)
			id := b.propose("stream start audit-trail",
				field("Operation", "stream start"),
				field("Target", "audit-trail ("+auditTrailID+")"),
				field("Provider", "EventGrid, "+egScope),
				field("Call", egCall("/eventstreamings/operate/"+auditTrailID, `{"operation":"START"}`)),
			)
			jobID := b.confirm(id, "Started stream "+named("audit-trail", auditTrailID), "stream "+named("audit-trail", auditTrailID)+" is RUNNING")
			assert.Equal(t, auditTrailID, jobID)
			b.show("stream show audit-trail", `Stream `+named("audit-trail", auditTrailID)+`: RUNNING `)
			require.NoError(t, b.stop())
			assert.NotContains(t, b.stdout.String()+b.stderr.String(), auth.secret)
		})
	}
}

func TestEGStreamPauseShowAndList(t *testing.T) {
	t.Parallel()
	b := startEG(t, egTokenAuth, "STOP")
	b.show("stream list", `2 event streams in `+egScope+`:\n`+
		`  `+clickstreamID+`\s+RUNNING\s+clickstream\n`+
		`  `+auditTrailID+`\s+STOPPED\s+audit-trail\n`)
	b.show("stream show clickstream", `Stream `+named("clickstream", clickstreamID)+`: RUNNING \(name "clickstream", `+egScope+`\)\n`)

	id := b.propose("stream pause clickstream",
		field("Operation", "stream pause"),
		field("Target", "clickstream ("+clickstreamID+")"),
		field("Call", egCall("/eventstreamings/operate/"+clickstreamID, `{"operation":"PAUSE"}`)),
	)
	// EventGrid has no PAUSED: a paused stream reads STOPPED.
	jobID := b.confirm(id, "Paused stream "+named("clickstream", clickstreamID), "stream "+named("clickstream", clickstreamID)+regexp.QuoteMeta(" is STOPPED (EventGrid's word for paused)"))
	assert.Equal(t, clickstreamID, jobID)

	b.show("stream show "+clickstreamID, `Stream `+named("clickstream", clickstreamID)+`: STOPPED \(name "clickstream", `+egScope+`\)\n`)
	b.show("stream list", `  `+clickstreamID+`\s+STOPPED\s+clickstream\n`)
}

func TestEGJobStartStopShowAndList(t *testing.T) {
	t.Parallel()
	b := startEG(t, egTokenAuth, "STOP")
	b.show("job list", `2 jobs in `+egScope+`:\n`+
		`  `+ordersDRID+`\s+RUNNING\s+orders-dr\n`+
		`  `+billingDRID+`\s+STOPPED\s+billing-dr\n`)
	b.show("job show orders-dr", `Job `+named("orders-dr", ordersDRID)+`: RUNNING, source KAFKA 10\.0\.0\.5:9092, target KAFKA 10\.0\.1\.7:9092 \(name "orders-dr", `+egScope+`\)\n`)

	for _, c := range []struct{ verb, alias, id, operation, done, status string }{
		{"start", "billing-dr", billingDRID, "START", "Started", "RUNNING"},
		{"stop", "orders-dr", ordersDRID, "STOP", "Stopped", "STOPPED"},
	} {
		req := b.propose("job "+c.verb+" "+c.alias,
			field("Operation", "job "+c.verb),
			field("Target", c.alias+" ("+c.id+")"),
			field("Provider", "EventGrid, "+egScope),
			field("Call", egCall("/eventrouter/jobs/"+c.id+"/action", `{"operation":"`+c.operation+`"}`)),
		)
		jobID := b.confirm(req, c.done+" job "+named(c.alias, c.id), "job "+named(c.alias, c.id)+" is "+c.status)
		assert.Equal(t, c.id, jobID)
		b.show("job show "+c.alias, `Job `+named(c.alias, c.id)+`: `+c.status+`, `)
	}
	b.show("job list", `  `+ordersDRID+`\s+STOPPED\s+orders-dr\n`+
		`  `+billingDRID+`\s+RUNNING\s+billing-dr\n`)
}

func TestEGJobSwitch(t *testing.T) {
	swap := "source and target swap: the source becomes " + ordersTarget + ", the target " + ordersSource
	switched := "Switched job " + named("orders-dr", ordersDRID) + regexp.QuoteMeta(": now source "+ordersTarget+" -> target "+ordersSource+" (was "+ordersSource+" -> "+ordersTarget+")")
	for _, c := range []struct {
		name, args, sink string
		now              bool
		effect, outcome  string
		source, target   string // the job's addresses afterwards
	}{
		{name: "no sink swaps source and target", sink: ordersSource,
			effect: swap, outcome: switched, source: ordersTarget, target: ordersSource},
		{name: "sink is the current target", args: " sink=" + ordersTarget, sink: ordersTarget,
			effect: "nothing changes: " + ordersTarget + " is already the target",
			outcome: "Sent the switch to job " + named("orders-dr", ordersDRID) +
				regexp.QuoteMeta("; nothing was switched, as the card said (target stays "+ordersTarget+")"),
			source: ordersSource, target: ordersTarget},
		{name: "now", args: " now", sink: ordersSource, now: true,
			effect: swap, outcome: switched, source: ordersTarget, target: ordersSource},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := startEG(t, egTokenAuth, "STOP")
			params := "sink=" + c.sink
			if c.now {
				params += " now"
			}
			id := b.propose("job switch orders-dr"+c.args,
				field("Operation", "job switch"),
				field("Target", "orders-dr ("+ordersDRID+")"),
				field("Call", egCall("/eventrouter/jobs/"+ordersDRID+"/action",
					`{"operation":"SWITCH","config":{"switch_now":`+strconv.FormatBool(c.now)+`,"sink_address":"`+c.sink+`"}}`)),
				field("Parameters", params),
				field("Current source", ordersSource),
				field("Current target", ordersTarget),
				field("Effect", c.effect),
			)
			b.confirm(id, c.outcome, "job "+named("orders-dr", ordersDRID)+" has "+regexp.QuoteMeta("source "+c.source+", target "+c.target))
			b.show("job show orders-dr", `Job `+named("orders-dr", ordersDRID)+`: RUNNING, `+
				regexp.QuoteMeta("source KAFKA "+c.source+", target KAFKA "+c.target+" ("))
		})
	}
}

// A switch card is only carried out if the job still reads as it did when
// the card was made: sent after another switch it could switch back.
func TestEGJobSwitchStaleCardSendsNothing(t *testing.T) {
	t.Parallel()
	b := startEG(t, egTokenAuth, "STOP")
	card := func(cmd, effect string) string {
		return b.propose(cmd, field("Current source", ordersSource), field("Current target", ordersTarget), field("Effect", effect))
	}
	swap := "source and target swap: the source becomes " + ordersTarget + ", the target " + ordersSource
	first := card("job switch orders-dr", swap)
	second := card("job switch orders-dr now", swap)
	back := card("job switch orders-dr sink="+ordersTarget, "nothing changes: "+ordersTarget+" is already the target")

	b.confirm(first, "Switched job "+named("orders-dr", ordersDRID)+regexp.QuoteMeta(": now source "+ordersTarget+" -> target "+ordersSource+" (was "+ordersSource+" -> "+ordersTarget+")"),
		"job "+named("orders-dr", ordersDRID)+" has "+regexp.QuoteMeta("source "+ordersTarget+", target "+ordersSource))
	for _, id := range []string{second, back} {
		b.send("confirm " + id)
		b.waitFor(`Confirmed by alice\. Could not switch job ` + named("orders-dr", ordersDRID) + regexp.QuoteMeta(
			": the job changed since the card was made (source now "+ordersTarget+", target "+ordersSource+
				"): nothing was sent. Ask again to see what a switch would do now") + `\n`)
	}
	b.show("job show orders-dr", `Job `+named("orders-dr", ordersDRID)+`: RUNNING, source KAFKA 10\.0\.1\.7:9092, target KAFKA 10\.0\.0\.5:9092 `)
	b.send("pending")
	b.waitFor(`No requests are waiting for confirmation\.`)

	// The simulator logs every call it serves: one switch reached it.
	switches := func(line map[string]any) bool {
		return line["msg"] == "egsim" && line["method"] == "POST" && line["path"] == "/v1/"+egProject+"/eventrouter/jobs/"+ordersDRID+"/action"
	}
	require.NoError(t, b.stop())
	assert.Equal(t, 1, b.logLines(switches), "job actions the simulator served")
}

func TestEGJobCreateFromTemplate(t *testing.T) {
	t.Parallel()
	b := startEG(t, egTokenAuth, "STOP")
	id := b.propose(`job create nightly-orders template=kafka-dr description="nightly sync"`,
		field("Operation", "job create"),
		field("Target", "nightly-orders"),
		field("Provider", "EventGrid, "+egScope),
		field("Call", egCall("/eventrouter/jobs", "")),
		field("Parameters", "description=nightly sync template=kafka-dr"),
		`\| Body \(passwords masked\)\s+\{\n`,
		bodyLine(`"cluster_id": "fac59513-6c18-4266-bc81-5d412dfc1925",`),
		bodyLine(`"name": "nightly-orders",`),
		bodyLine(`"description": "nightly sync",`),
		bodyLine(`"scene_type": "DISASTER_BACKUP",`),
		bodyLine(`"source_kafka": {`),
		bodyLine(`"address": "10.0.0.5:9092",`),
		bodyLine(`"authenticate_mode": "PLAINTEXT"`),
		bodyLine(`"sink_kafka": {`),
		bodyLine(`"address": "10.0.1.7:9092",`),
		bodyLine(`"authenticate_mode": "PLAINTEXT"`),
		bodyLine(`"kafka2kafka": {`),
		bodyLine(`"topics": "orders,payments",`),
		bodyLine(`"replica_cnt": 3,`),
	)
	// The simulator keeps a new job CREATING for 3s.
	jobID := b.confirm(id, "Created job nightly-orders \\("+egUUID+"\\)", "job nightly-orders \\("+egUUID+"\\) is RUNNING")
	require.Regexp(t, `^`+egUUID+`$`, jobID)
	b.show("job show "+jobID, `Job `+jobID+`: RUNNING, source KAFKA 10\.0\.0\.5:9092, target KAFKA 10\.0\.1\.7:9092 \(name "nightly-orders", `+egScope+`\)\n`)
	b.show("job list", `3 jobs in `+egScope+`:\n(?:.*\n){2}  `+jobID+`\s+RUNNING\s+nightly-orders\n`)

	// The same name again: the provider's refusal, with its code and request ID.
	id = b.propose("job create nightly-orders template=kafka-dr", field("Target", "nightly-orders"))
	b.send("confirm " + id)
	b.waitFor(`Confirmed by alice\. Could not create job nightly-orders: EG\.00513001 Name duplicated — a job named nightly-orders exists \(request ID ` + egRequestID + `\)\n`)
}

func TestEGJobCreateKeepsTheSinkPasswordSecret(t *testing.T) {
	t.Parallel()
	store := t.TempDir()
	b := egBot{start(t, egConfig(store, egTokenAuth, "STOP"), egEnv)}
	id := b.propose("job create sasl-orders template=kafka-dr-sasl",
		field("Target", "sasl-orders"),
		field("Parameters", "template=kafka-dr-sasl"),
		bodyLine(`"sink_kafka": {`),
		bodyLine(`"authenticate_mode": "SASL_SSL",`),
		bodyLine(`"user_name": "dr-sync",`),
		bodyLine(`"password": "******"`),
	)
	b.confirm(id, "Created job sasl-orders \\("+egUUID+"\\)", "job sasl-orders \\("+egUUID+"\\) is RUNNING")
	require.NoError(t, b.stop())

	assert.NotContains(t, b.stdout.String(), sinkPassword)
	assert.NotContains(t, b.stderr.String(), sinkPassword)
	// Nor is it in the stored request, which the store holds in plain JSON.
	var stored strings.Builder
	require.NoError(t, filepath.WalkDir(store, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		stored.Write(data)
		return err
	}))
	require.Contains(t, stored.String(), `"template":"kafka-dr-sasl"`, "the request should be in the store")
	assert.NotContains(t, stored.String(), sinkPassword)
}

func TestEGBadInput(t *testing.T) {
	t.Parallel()
	// No eg.operations.stop: `job stop` is not offered.
	b := startEG(t, egTokenAuth, "")
	for _, c := range []struct{ in, want string }{
		// <stream>
		{"stream start nosuch", `unknown stream alias "nosuch". Known: audit-trail, clickstream; or give the stream ID`},
		{"stream pause ../etc", `"../etc" is not a valid stream ID or alias: IDs are letters, digits, '-', '_' and '.'`},
		{"stream show", `which stream? usage: stream show <stream>`},
		{"stream start audit-trail colour=blue", `stream start does not take colour=. usage: stream start <stream>`},
		{"stream pause clickstream now", `unexpected "now". usage: stream pause <stream>`},
		// <job>
		{"job start nosuch", `unknown job alias "nosuch". Known: billing-dr, orders-dr; or give the job ID`},
		{"job show bad/id", `"bad/id" is not a valid job ID or alias: IDs are letters, digits, '-', '_' and '.'`},
		{"job switch nosuch", `unknown job alias "nosuch". Known: billing-dr, orders-dr; or give the job ID`},
		{"job stop orders-dr", `job stop is not set up here: eg.operations.stop in the config must name the provider's operation string`},
		// job switch: sink= and flags
		{"job switch orders-dr sink=", `sink=: no address given: write IP addresses with optional ports, comma-separated, like 10.0.0.1:9092,10.0.0.2:9092`},
		{"job switch orders-dr sink=10.0.0.300:9092", `sink=: "10.0.0.300:9092" is not an IP address with an optional port (like 10.0.0.1:9092 or [fd00::1]:9092)`},
		{"job switch orders-dr sink=10.0.0.5:9092,10.0.0.5:9092", `sink=: "10.0.0.5:9092" is given twice`},
		{"job switch orders-dr sink=host.example:9092", `sink=: "host.example:9092" is not an IP address with an optional port (like 10.0.0.1:9092 or [fd00::1]:9092)`},
		{"job switch orders-dr sink=10.0.0.5:9092 sink=10.0.1.7:9092", `sink= is given twice: give it once`},
		{"job switch orders-dr later", `unexpected "later". usage: job switch <job> [sink=<addr,...>] [now]`},
		{"job switch orders-dr sink=10.9.9.9:9092", `sink=10.9.9.9:9092 matches neither the job's source (10.0.0.5:9092) nor its target (10.0.1.7:9092), so EventGrid would refuse it: nothing was sent`},
		// job create: <name>, template=, description=
		{"job create", `what should it be called? usage: job create <name> template=<t> [description=...]`},
		{"job create nightly", `which template? usage: job create <name> template=<t> [description=...]`},
		{"job create nightly template=nope", `unknown template "nope". Known: kafka-dr, kafka-dr-sasl`},
		{"job create -bad template=kafka-dr", `name: must start with a letter or digit and contain only letters, digits, '.', '_' and '-', got "-bad"`},
		{`job create "two words" template=kafka-dr`, `name: must start with a letter or digit and contain only letters, digits, '.', '_' and '-', got "two words"`},
		{"job create " + strings.Repeat("a", 129) + " template=kafka-dr", `name: at most 128 characters, got 129`},
		{"job create nightly template=kafka-dr description=" + strings.Repeat("d", 257), `description: at most 256 characters, got 257`},
		{"job create nightly extra template=kafka-dr", `unexpected "extra". usage: job create <name> template=<t> [description=...]`},
		{"job create nightly template=kafka-dr colour=blue", `job create does not take colour=. usage: job create <name> template=<t> [description=...]`},
	} {
		b.refuse(c.in, c.want)
	}
	b.send("pending")
	b.waitFor(`No requests are waiting for confirmation\.`)
}

func TestEGProviderErrorsShowCodeMessageAndRequestID(t *testing.T) {
	t.Parallel()
	b := startEG(t, egTokenAuth, "STOP")
	notFound := func(what string) string {
		return regexp.QuoteMeta("EG.00014040 Not request resource found — no "+what+" "+unknownID) + ` \(request ID ` + egRequestID + `\)\n`
	}
	b.show("job show "+unknownID, `! job show `+unknownID+` failed: `+notFound("job"))
	b.show("stream show "+unknownID, `! stream show `+unknownID+` failed: `+notFound("event streaming"))
	// job switch reads the job before making a card.
	b.show("job switch "+unknownID, `! could not read job `+unknownID+` to show what the switch would do, so nothing was asked: `+notFound("job"))

	id := b.propose("job stop "+unknownID, field("Target", unknownID))
	b.send("confirm " + id)
	b.waitFor(`Confirmed by alice\. Could not stop job ` + unknownID + `: ` + notFound("job"))
	id = b.propose("stream start "+unknownID, field("Target", unknownID))
	b.send("confirm " + id)
	b.waitFor(`Confirmed by alice\. Could not start stream ` + unknownID + `: ` + notFound("event streaming"))
}
