package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/sandbox/enossim"
	"github.com/streamops/streamops/internal/syncbuf"
	"github.com/streamops/streamops/internal/testwait"
)

// program is one run of the bot, started as `bot serve` with a console
// (start) or without one (startHeadless).
type program struct {
	t      *testing.T
	stdin  *io.PipeWriter // nil without a console
	stdout *syncbuf.Buffer
	stderr *syncbuf.Buffer
	done   chan error
	// seen is how much of stdout earlier waits consumed.
	seen int
	// config is the file it runs on; signal stops it as SIGTERM would.
	config string
	signal context.CancelFunc
	// addr is where it serves HTTP, when started headless.
	addr string
}

func start(t *testing.T, config string, env map[string]string) *program {
	t.Helper()
	in, stdin := io.Pipe()
	p := launch(t, config, env, in)
	p.stdin = stdin
	t.Cleanup(func() { stdin.Close() })
	p.waitFor(`streamops> `)
	return p
}

// startHeadless runs `bot serve` without a console, reading stdin as
// given, and waits until it serves HTTP.
func startHeadless(t *testing.T, config string, env map[string]string, stdin io.Reader) *program {
	t.Helper()
	p := launch(t, config, env, stdin)
	p.addr = p.logValue("serving HTTP", "addr")
	return p
}

// launch runs `bot serve` on config until the test ends.
func launch(t *testing.T, config string, env map[string]string, stdin io.Reader) *program {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(config), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	p := &program{t: t, stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, done: make(chan error, 1), config: path, signal: cancel}
	go func() {
		p.done <- run(ctx, []string{"serve", "--config", path}, func(k string) string { return env[k] }, stdin, p.stdout, p.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			t.Error("the bot did not stop within 30s")
		}
	})
	return p
}

func (p *program) send(line string) {
	p.t.Helper()
	_, err := io.WriteString(p.stdin, line+"\n")
	require.NoError(p.t, err)
}

// waitFor polls stdout after what earlier waits consumed until pattern
// matches, and returns the submatches.
func (p *program) waitFor(pattern string) []string {
	p.t.Helper()
	re := regexp.MustCompile(pattern)
	var m []string
	testwait.Until(p.t, func() bool {
		out := p.stdout.String()
		if loc := re.FindStringSubmatchIndex(out[p.seen:]); loc != nil {
			m = re.FindStringSubmatch(out[p.seen:])
			p.seen += loc[1]
			return true
		}
		select {
		case err := <-p.done:
			p.done <- err // for the cleanup
			p.t.Fatalf("the bot stopped (%v) before printing %q\nstdout:\n%s\nstderr:\n%s", err, pattern, out, p.stderr.String())
		default:
		}
		return false
	}, func() string {
		return fmt.Sprintf("no %q\nstdout:\n%s\nstderr:\n%s", pattern, p.stdout.String()[p.seen:], p.stderr.String())
	})
	return m
}

// waitForAll waits for each pattern in the output not yet consumed,
// whatever their order, and consumes up to the last match.
func (p *program) waitForAll(patterns ...string) [][]string {
	p.t.Helper()
	from, end := p.seen, p.seen
	out := make([][]string, 0, len(patterns))
	for _, pattern := range patterns {
		p.seen = from
		out = append(out, p.waitFor(pattern))
		end = max(end, p.seen)
	}
	p.seen = end
	return out
}

// stop ends the console as Ctrl-D would, and waits for the program to exit.
func (p *program) stop() error {
	p.t.Helper()
	p.stdin.Close()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		return err
	case <-time.After(30 * time.Second):
		p.t.Fatal("the bot did not stop within 30s of its input ending")
		return nil
	}
}

// logValue finds the first JSON log line with msg and returns its key.
func (p *program) logValue(msg, key string) string {
	p.t.Helper()
	var value string
	testwait.Until(p.t, func() bool {
		sc := bufio.NewScanner(strings.NewReader(p.stderr.String()))
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == msg {
				value = fmt.Sprint(line[key])
				return true
			}
		}
		return false
	}, func() string { return fmt.Sprintf("no log line %q\n%s", msg, p.stderr.String()) })
	return value
}

func testConfig(storeDir string, extra string) string {
	return fmt.Sprintf(`
http: {listen: "127.0.0.1:0"}
nats: {listen: "127.0.0.1:0", store_dir: %q}
console: {user: alice, enabled: true}
requests: {expiry: 10m, check_interval: 100ms, check_timeout: 5s}
log: {level: debug}
targets:
  pipelines: {orders-etl: p-7d3f9a21, billing-agg: p-1c2b3a45}
enos: {endpoint: sandbox, org_id: o-e2e, app_key: k, app_secret: s}
sandbox:
  enos:
    pipelines:
      - {id: p-7d3f9a21, name: orders-etl, status: RUNNING}
      - {id: p-1c2b3a45, name: billing-agg, status: STOPPED}
%s`, storeDir, extra)
}

func TestConsolePauseConfirmed(t *testing.T) {
	p := start(t, testConfig(t.TempDir(), ""), nil)
	p.send("/streamops pipeline pause orders-etl")
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.waitFor(`\| Target\s+orders-etl \(p-7d3f9a21\)`)
	p.waitFor(`\| Provider\s+EnOS, org o-e2e`)
	p.waitFor(`\| Call\s+EnOS POST /streaming/v2.0/streaming/pipeline/p-7d3f9a21\?action=pause&orgId=o-e2e`)
	p.waitFor(`\| Requested by\s+alice`)
	p.waitFor(`\| Expires\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC`)
	p.waitFor("Waiting for confirmation: `confirm " + id)

	p.send("confirm " + id)
	p.waitForAll( // the status check may print before the confirmation's answer
		`Confirmed by alice\. Paused pipeline orders-etl \(p-7d3f9a21\): job ID p-7d3f9a21, request ID [0-9a-f-]{8,}`,
		`\* `+id+`: pipeline orders-etl \(p-7d3f9a21\) is PAUSED after `)

	p.send("confirm " + id)
	p.waitFor(`! ` + id + ` was already confirmed by alice and has succeeded: nothing was done again\.`)
	require.NoError(t, p.stop())
}

func TestConsoleProviderErrorShowsCodeMessageAndRequestID(t *testing.T) {
	p := start(t, testConfig(t.TempDir(), ""), nil)
	p.send("pipeline pause billing-agg")
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.send("confirm " + id)
	p.waitFor(`Could not pause pipeline billing-agg \(p-1c2b3a45\): 61152 Status of the stream processing job cannot be changed from \[STOPPED\] to Paused\. \(request ID [0-9a-f-]{8,}\)`)
}

func TestConsoleCancel(t *testing.T) {
	p := start(t, testConfig(t.TempDir(), ""), nil)
	p.send("pipeline stop orders-etl")
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.send("cancel " + id)
	p.waitFor(`Cancelled by alice: nothing was done\.`)
	p.send("confirm " + id)
	p.waitFor(`! ` + id + ` was cancelled by alice: nothing was done\.`)
	p.send("pipeline show orders-etl")
	p.waitFor(`Pipeline orders-etl \(p-7d3f9a21\): RUNNING`)
}

func TestConsoleExpiry(t *testing.T) {
	p := start(t, strings.Replace(testConfig(t.TempDir(), ""), "expiry: 10m", "expiry: 1s", 1), nil)
	p.send("pipeline pause orders-etl")
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.waitFor(`\* ` + id + `: Expired unconfirmed: nothing was done\.`)
	p.send("confirm " + id)
	p.waitFor(`! ` + id + ` expired at .* without confirmation: nothing was done`)
	p.send("pipeline show orders-etl")
	p.waitFor(`Pipeline orders-etl \(p-7d3f9a21\): RUNNING`)
}

func TestConsoleBadInput(t *testing.T) {
	p := start(t, testConfig(t.TempDir(), ""), nil)
	for in, want := range map[string]string{
		"pipeline explode orders-etl": `! unknown command "pipeline explode"`,
		"pipeline pause nosuch":       `! unknown pipeline alias "nosuch"\. Known: billing-agg, orders-etl; or give the pipeline ID`,
		"pipeline pause ../etc":       `! "\.\./etc" is not a valid pipeline ID or alias`,
		"confirm r-000000":            `! there is no request r-000000`,
	} {
		p.send(in)
		p.waitFor(want)
	}
	p.send("pending")
	p.waitFor(`No requests are waiting for confirmation\.`)
}

func TestPendingRequestSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	first := start(t, testConfig(dir, ""), nil)
	first.send("pipeline pause orders-etl")
	id := first.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	require.NoError(t, first.stop())

	second := start(t, testConfig(dir, ""), nil)
	second.send("pending")
	second.waitFor(id + `\s+pending\s+pipeline pause orders-etl \(p-7d3f9a21\), asked by alice`)
	second.send("confirm " + id)
	second.waitFor(`Paused pipeline orders-etl \(p-7d3f9a21\): job ID p-7d3f9a21, request ID `)
}

func TestHealthReadyAndMetrics(t *testing.T) {
	p := start(t, testConfig(t.TempDir(), ""), nil)
	addr := p.logValue("serving HTTP", "addr")
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	code, _ := get("/healthz")
	assert.Equal(t, http.StatusOK, code)
	code, body := get("/readyz")
	assert.Equal(t, http.StatusOK, code, body)

	p.send("pipeline pause orders-etl")
	id := p.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	p.send("confirm " + id)
	p.waitFor(`Paused pipeline`)
	code, body = get("/metrics")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `streamops_requests_total{op="pipeline pause",state="succeeded"} 1`)
	assert.Contains(t, body, `streamops_provider_call_seconds_count{account="default",op="pipeline pause",provider="EnOS",result="ok"} 1`)
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		path := filepath.Join(dir, fmt.Sprintf("c%d.yaml", time.Now().UnixNano()))
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		return path
	}
	var out syncbuf.Buffer
	good := write(testConfig(dir, ""))
	require.NoError(t, run(context.Background(), []string{"check-config", "--config", good}, func(string) string { return "" }, nil, &out, &out))
	assert.Contains(t, out.String(), ": ok")

	err := run(context.Background(), []string{"check-config", "--config", write(testConfig(dir, "colour: blue\n"))}, func(string) string { return "" }, nil, &out, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown key "colour"`)

	err = run(context.Background(), []string{"check-config", "--config", filepath.Join(dir, "missing.yaml")}, func(string) string { return "" }, nil, &out, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing.yaml: copy config.example.yaml to ")

	// bot serve without a config file says what to do.
	t.Chdir(dir)
	err = run(context.Background(), []string{"serve"}, func(string) string { return "" }, nil, &out, &out)
	require.Error(t, err)
	assert.Equal(t, "config: there is no file config.yaml: copy config.example.yaml to config.yaml and edit it, or name your configuration file with --config FILE", err.Error())

	err = run(context.Background(), []string{"check-config", "--config", good, "extra"}, func(string) string { return "" }, nil, &out, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unexpected argument "extra"`)

	err = run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, nil, &out, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown command "frobnicate"`)
}

func TestExampleConfigIsValid(t *testing.T) {
	var out syncbuf.Buffer
	require.NoError(t, run(context.Background(), []string{"check-config", "--config", "../../config.example.yaml"}, func(string) string { return "" }, nil, &out, &out))
}

// Two bots sharing one NATS server and one EnOS: a request made on one is
// carried out once, whichever bot is told to confirm it.
func TestTwoBotsShareRequests(t *testing.T) {
	sim := enossim.New(enossim.Config{Pipelines: []enossim.Pipeline{{ID: "p-7d3f9a21", Name: "orders-etl", Status: "RUNNING"}}}, "o-e2e", "k", "s")
	var posts atomic.Int64
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Query().Get("action") != "" {
			posts.Add(1)
		}
		sim.ServeHTTP(w, r)
	}))
	defer provider.Close()
	shared := func(nats, user string) string {
		return fmt.Sprintf(`
http: {listen: "127.0.0.1:0"}
nats: %s
console: {user: %s, enabled: true}
requests: {check_interval: 100ms}
targets: {pipelines: {orders-etl: p-7d3f9a21}}
enos: {endpoint: %q, org_id: o-e2e, app_key: k, app_secret: s}
`, nats, user, provider.URL)
	}
	dir := t.TempDir()
	first := start(t, shared(fmt.Sprintf(`{listen: "127.0.0.1:0", store_dir: %q}`, dir), "alice"), nil)
	url := first.logValue("embedded nats-server started", "url")
	token, err := os.ReadFile(filepath.Join(dir, "client.token"))
	require.NoError(t, err)
	assert.NotContains(t, first.stderr.String(), strings.TrimSpace(string(token)), "the token is in no log line")
	second := start(t, shared(fmt.Sprintf(`{url: %q}`, url), "bob"), map[string]string{"NATS_TOKEN": strings.TrimSpace(string(token))})

	first.send("pipeline pause orders-etl")
	id := first.waitFor(`\| Request\s+(r-[0-9a-f]{6})`)[1]
	second.send("pending")
	second.waitFor(id + `\s+pending\s+pipeline pause orders-etl \(p-7d3f9a21\), asked by alice`)
	second.send("confirm " + id)
	second.waitFor(id + `: Confirmed by bob\. Paused pipeline orders-etl \(p-7d3f9a21\): job ID p-7d3f9a21, request ID `)
	first.send("confirm " + id)
	first.waitFor(`! ` + id + ` was already confirmed by bob and has succeeded: nothing was done again\.`)
	assert.EqualValues(t, 1, posts.Load())
	require.NoError(t, second.stop())
	require.NoError(t, first.stop())
}
