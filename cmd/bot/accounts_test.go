package main

// The bot with several provider accounts: a simulator per account, each
// seeded and signed into as its account says, and the old single-account
// configuration working as it did.

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/eg"
	"github.com/streamops/streamops/internal/config"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/syncbuf"
	"github.com/streamops/streamops/internal/testwait"
)

// Two EventGrid regions, each its own project, credentials and simulator.
const (
	beijingProject  = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	shanghaiProject = "5c4d3e2f1a0b49c8d7e6f5a4b3c2d1e0"
	beijingScope    = "account beijing, region cn-north-4, project " + beijingProject
	shanghaiScope   = "account shanghai, region cn-east-3, project " + shanghaiProject
)

const twoRegionsTemplate = `
http: {listen: "127.0.0.1:0"}
nats: {listen: "127.0.0.1:0", store_dir: $store}
console: {user: alice, enabled: true}
targets:
  streams: {clickstream: $clickstream}
  jobs:
    billing-dr: $billing
    orders-dr: {id: $orders, account: shanghai}
eg:
  - name: beijing
    endpoint: sandbox
    region: cn-north-4
    project_id: $bjproject
    auth: {mode: token}
    operations: {stop: STOP, switch: SWITCH}
    sandbox:
      listen: $bjlisten
      streams: [{id: $clickstream, name: clickstream, status: RUNNING}]
      jobs: [{id: $billing, name: billing-dr, status: STOPPED, source_address: "10.0.2.5:9092", sink_address: "10.0.3.7:9092"}]
  - name: shanghai
    endpoint: sandbox
    region: cn-east-3
    project_id: $shproject
    auth: {mode: password, domain: sh-domain, user: sh-bot}
    operations: {stop: STOP, switch: SWITCH}
    sandbox:
      listen: $shlisten
      jobs: [{id: $orders, name: orders-dr, status: RUNNING, source_address: "10.0.0.5:9092", sink_address: "10.0.1.7:9092"}]
`

// twoRegionsEnv holds each account's secret under its own variable, and
// the unnamed ones, which neither account may take.
var twoRegionsEnv = map[string]string{
	"EG_BEIJING_TOKEN": "bj-token-51c2", "EG_SHANGHAI_PASSWORD": "sh-pass-9e4d",
	"EG_TOKEN": "not-beijings-token", "EG_PASSWORD": "not-shanghais-password",
}

func twoRegionsConfig(storeDir, bjListen, shListen string) string {
	return strings.NewReplacer(
		"$store", strconv.Quote(storeDir), "$bjproject", beijingProject, "$shproject", shanghaiProject,
		"$clickstream", clickstreamID, "$billing", billingDRID, "$orders", ordersDRID,
		"$bjlisten", strconv.Quote(bjListen), "$shlisten", strconv.Quote(shListen),
	).Replace(twoRegionsTemplate)
}

// Each job is shown by its own region's simulator: the one it is seeded
// in, reached with its account's project and credentials.
func TestJobsOfTwoRegionsReachTheirOwnSimulator(t *testing.T) {
	t.Parallel()
	p := start(t, twoRegionsConfig(t.TempDir(), "", ""), twoRegionsEnv)
	started := map[string]bool{}
	testwait.Until(t, func() bool {
		for _, line := range strings.Split(p.stderr.String(), "\n") {
			if m := regexp.MustCompile(`"msg":"EventGrid simulator started","account":"(\w+)"`).FindStringSubmatch(line); m != nil {
				started[m[1]] = true
			}
		}
		return len(started) == 2
	}, p.stderr.String)
	assert.Equal(t, map[string]bool{"beijing": true, "shanghai": true}, started, "one simulator for each account")

	p.send("job show billing-dr")
	p.waitFor(`Job ` + named("billing-dr", billingDRID) + `: STOPPED, source KAFKA 10\.0\.2\.5:9092, target KAFKA 10\.0\.3\.7:9092 \(name "billing-dr", ` + beijingScope + `\)\n`)
	p.send("stream show clickstream")
	p.waitFor(`Stream ` + named("clickstream", clickstreamID) + `: RUNNING \(name "clickstream", ` + beijingScope + `\)\n`)

	// These need the eventgrid provider to send each target's call through
	// its account's client: orders-dr is seeded in Shanghai's simulator only.
	p.send("job show orders-dr")
	p.waitFor(`Job ` + named("orders-dr", ordersDRID) + `: RUNNING, source KAFKA 10\.0\.0\.5:9092, target KAFKA 10\.0\.1\.7:9092 \(name "orders-dr", ` + shanghaiScope + `\)\n`)
	p.send("job show shanghai/" + ordersDRID)
	p.waitFor(`Job ` + named("orders-dr", ordersDRID) + `: RUNNING, .* \(name "orders-dr", ` + shanghaiScope + `\)\n`)

	// The metrics name each account and where it is, and count its calls apart.
	metrics := scrapeMetrics(t, p.logValue("serving HTTP", "addr"))
	for _, series := range []string{
		`streamops_account_info{account="beijing",org="",project="` + beijingProject + `",provider="EventGrid",region="cn-north-4"} 1`,
		`streamops_account_info{account="shanghai",org="",project="` + shanghaiProject + `",provider="EventGrid",region="cn-east-3"} 1`,
		`streamops_provider_call_seconds_count{account="beijing",op="job switch",provider="EventGrid",result="ok"} 0`,
		`streamops_provider_call_seconds_count{account="shanghai",op="job switch",provider="EventGrid",result="ok"} 0`,
	} {
		assert.Contains(t, metrics, series)
	}
}

// bot simulate serves each account's simulator on its own address, each
// with its own seed, project and credentials.
func TestSimulateServesEachAccount(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(twoRegionsConfig(t.TempDir(), "127.0.0.1:0", "127.0.0.1:0")), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncbuf.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"simulate", "--config", path}, func(k string) string { return twoRegionsEnv[k] }, nil, &stderr, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err, "simulate ends cleanly when stopped")
		case <-time.After(10 * time.Second):
			t.Error("simulate did not stop")
		}
	})

	urls := map[string]string{}
	re := regexp.MustCompile(`EventGrid simulator for account (\w+): (http://\S+)`)
	testwait.Until(t, func() bool {
		for _, m := range re.FindAllStringSubmatch(stderr.String(), -1) {
			urls[m[1]] = m[2]
		}
		return len(urls) == 2
	}, stderr.String)
	require.NotEqual(t, urls["beijing"], urls["shanghai"])

	beijing := eg.Config{Endpoint: eg.Sandbox, Region: "cn-north-4", ProjectID: beijingProject, Auth: eg.Auth{Mode: eg.AuthToken, Token: "bj-token-51c2"}}
	shanghai := eg.Config{Endpoint: eg.Sandbox, Region: "cn-east-3", ProjectID: shanghaiProject,
		Auth: eg.Auth{Mode: eg.AuthPassword, Domain: "sh-domain", User: "sh-bot", Password: "sh-pass-9e4d"}}
	client := func(url string, cfg eg.Config) *eg.Client {
		c, err := eg.New(url, url, cfg)
		require.NoError(t, err)
		return c
	}

	st, err := client(urls["beijing"], beijing).Stream(ctx, clickstreamID)
	require.NoError(t, err)
	assert.Equal(t, "RUNNING", st.Status)
	j, err := client(urls["shanghai"], shanghai).Job(ctx, ordersDRID)
	require.NoError(t, err)
	assert.Equal(t, "RUNNING", j.Status)

	_, err = client(urls["beijing"], beijing).Job(ctx, ordersDRID)
	require.Error(t, err, "Beijing's simulator does not hold Shanghai's job")
	_, err = client(urls["shanghai"], beijing).Stream(ctx, clickstreamID)
	require.Error(t, err, "Shanghai's simulator refuses Beijing's project and token")
}

func TestCheckConfigOfSeveralAccounts(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	getenv := func(k string) string { return twoRegionsEnv[k] }
	var out syncbuf.Buffer
	require.NoError(t, os.WriteFile(path, []byte(twoRegionsConfig(dir, "", "")), 0o600))
	require.NoError(t, run(context.Background(), []string{"check-config", "--config", path}, getenv, nil, &out, &out))
	assert.Contains(t, out.String(), "config.yaml: ok")

	bad := strings.Replace(twoRegionsConfig(dir, "127.0.0.1:9082", "127.0.0.1:9082"), "account: shanghai", "account: hangzhou", 1)
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o600))
	err := run(context.Background(), []string{"check-config", "--config", path}, func(string) string { return "" }, nil, &out, &out)
	require.Error(t, err)
	for _, want := range []string{
		`targets.jobs.orders-dr: there is no account "hangzhou" for jobs: the accounts are beijing, shanghai`,
		`eg[1].sandbox.listen: "127.0.0.1:9082" takes the same port as eg[0].sandbox.listen`,
		"eg[0].auth.token: required for auth.mode token (or set EG_BEIJING_TOKEN)",
		"eg[1].auth.password: required for auth.mode password (or set EG_SHANGHAI_PASSWORD)",
	} {
		assert.Contains(t, err.Error(), want)
	}
}

// runnable is the config file at path made to run beside other tests:
// free ports, its files in dir, the console on.
func runnable(t *testing.T, path, dir string) string {
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	text := string(raw)
	for _, r := range [][2]string{
		{"listen: 127.0.0.1:8080", "listen: 127.0.0.1:0"},
		{"listen: 127.0.0.1:4222", "listen: 127.0.0.1:0"},
		{"store_dir: ./data/nats", "store_dir: " + strconv.Quote(dir)},
		{"file: ./data/streamops.log", "file: \"\""},
		{"# enabled: true", "enabled: true"},
	} {
		require.Contains(t, text, r[0], path)
		text = strings.Replace(text, r[0], r[1], 1)
	}
	return text
}

// The single-account example of before runs as it did: the same settings
// and providers, every alias reaching its simulator in the default account.
func TestTheSingleAccountExampleRunsAsBefore(t *testing.T) {
	t.Parallel()
	text := runnable(t, "../../internal/config/testdata/config.example.45426fb.yaml", t.TempDir())
	cfg, err := config.Parse(strings.NewReader(text), func(string) string { return "" })
	require.NoError(t, err)
	set := settingsOf(cfg)
	assert.Equal(t, ops.Targets{
		"pipeline": {"orders-etl": "p-7d3f9a21", "billing-agg": "p-1c2b3a45"},
		"stream":   {"clickstream": clickstreamID},
		"job":      {"orders-dr": ordersDRID},
	}, set.Targets)
	assert.Empty(t, set.Groups)
	assert.Equal(t, map[string][]string{"pipeline": {"default"}, "stream": {"default"}, "job": {"default"}}, set.Accounts)
	assert.Equal(t, []time.Duration{10 * time.Minute, time.Second, 2 * time.Minute, 5 * time.Minute, 10 * time.Second},
		[]time.Duration{set.Expiry, set.CheckInterval, set.CheckTimeout, set.AbandonAfter, set.TargetWait})

	deps, sims, err := providers(cfg, slog.New(slog.DiscardHandler))
	for _, s := range sims {
		defer s.close()
	}
	require.NoError(t, err)
	assert.Len(t, sims, 2, "a simulator for each provider")
	require.Len(t, deps.Providers, 2, "the pipelines and the EventGrid operations")
	var names []string
	for _, p := range deps.Providers {
		for _, spec := range p.Operations() {
			names = append(names, spec.Name)
		}
	}
	assert.Subset(t, names, []string{"pipeline pause", "pipeline show", "stream start", "job switch", "job create"})

	p := start(t, text, nil)
	p.send("pipeline show orders-etl")
	p.waitFor(`Pipeline orders-etl \(p-7d3f9a21\): RUNNING`)
	p.send("stream show clickstream")
	p.waitFor(`Stream ` + named("clickstream", clickstreamID) + `: RUNNING \(name "clickstream", ` + egScope + `\)\n`)
	p.send("job show orders-dr")
	p.waitFor(`Job ` + named("orders-dr", ordersDRID) + `: RUNNING, source KAFKA 10\.0\.0\.5:9092, target KAFKA 10\.0\.1\.7:9092 \(name "orders-dr", ` + egScope + `\)\n`)
}

// The example's disaster-recovery rule proposes the switchover of
// orders-dr, a job of its Shanghai account, as the example's comment says.
func TestTheExampleSwitchoverRuleReachesShanghai(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := start(t, runnable(t, "../../config.example.yaml", dir), nil)
	nc := natsClient(t, p, dir)
	require.NoError(t, nc.Publish("alerts.demo", []byte(`{"status":"firing","labels":{"alertname":"KafkaClusterDown","job_id":"orders-dr","dr_address":"10.0.0.5:9092"}}`)))
	p.waitFor(`\* alert KafkaClusterDown proposes \(rule kafka-dr-switch, channel C0INCIDENTS\):`)
	// The card reads the job from Shanghai's simulator: this needs the
	// eventgrid provider to send each target's call through its account.
	p.waitForAll(`\| Operation\s+job switch\n`, `\| Target\s+`+named("orders-dr", ordersDRID)+`\n`,
		`\| Provider\s+EventGrid, `+shanghaiScope+`\n`)
}
