package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/syncbuf"
)

// headless is one run of `bot serve` without a console.
type headless struct {
	t      *testing.T
	stderr *syncbuf.Buffer
	cancel context.CancelFunc
	done   chan error
	addr   string
}

func startHeadless(t *testing.T, config string, env map[string]string, stdin io.Reader) *headless {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(config), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	h := &headless{t: t, stderr: &syncbuf.Buffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		h.done <- run(ctx, []string{"serve", "--config", path}, func(k string) string { return env[k] }, stdin, io.Discard, h.stderr)
	}()
	t.Cleanup(func() { h.stop() })
	p := &program{t: t, stderr: h.stderr, done: h.done}
	h.addr = p.logValue("serving HTTP", "addr")
	return h
}

// stop sends what SIGTERM would and waits for the bot to end.
func (h *headless) stop() error {
	h.cancel()
	select {
	case err := <-h.done:
		h.done <- err
		return err
	case <-time.After(30 * time.Second):
		h.t.Error("the bot did not stop within 30s")
		return nil
	}
}

func (h *headless) get(path string) (int, string) {
	resp, err := http.Get("http://" + h.addr + path)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// slackAPI is a fake Slack Web API that records the messages posted.
type slackAPI struct {
	*httptest.Server
	auth    string // auth.test's answer
	mu      sync.Mutex
	posts   []url.Values
	sockets chan *websocket.Conn // Socket Mode connections the bot opened
	groups  []string             // handles of the workspace's user groups
}

func newSlackAPI(t *testing.T, auth string) *slackAPI {
	s := &slackAPI{auth: auth, sockets: make(chan *websocket.Conn, 4)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws" {
			up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
			if conn, err := up.Upgrade(w, r, nil); err == nil {
				s.sockets <- conn
			}
			return
		}
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/auth.test":
			io.WriteString(w, s.auth)
		case "/api/apps.connections.open":
			fmt.Fprintf(w, `{"ok":true,"url":"ws://%s/ws"}`, r.Host)
		case "/api/usergroups.list":
			var list []map[string]any
			for _, h := range s.groups {
				list = append(list, map[string]any{"id": "S0" + strings.ToUpper(h), "handle": h, "users": []string{"U0BOB"}})
			}
			json.NewEncoder(w).Encode(map[string]any{"ok": true, "usergroups": list})
		case "/api/chat.postMessage":
			s.mu.Lock()
			s.posts = append(s.posts, form)
			n := len(s.posts)
			s.mu.Unlock()
			fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1764500000.%06d"}`, form.Get("channel"), n)
		default:
			io.WriteString(w, `{"ok":true}`)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *slackAPI) waitForPost(t *testing.T, pattern string) {
	t.Helper()
	s.postWith(t, "blocks", pattern)
}

// postWith waits for a message whose field holds pattern, and returns it
// with the ts the fake gave it.
func (s *slackAPI) postWith(t *testing.T, field, pattern string) (url.Values, string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		for i, p := range s.posts {
			if strings.Contains(p.Get(field), pattern) {
				s.mu.Unlock()
				return p, fmt.Sprintf("1764500000.%06d", i+1)
			}
		}
		s.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no message with %q in %s was posted", pattern, field)
	return nil, ""
}

const authOK = `{"ok":true,"team":"Acme","user":"streamops","team_id":"T0","user_id":"U0BOT"}`

func slackConfig(dir, apiURL string) string {
	return strings.Replace(testConfig(dir, fmt.Sprintf("slack: {api_url: %q}\n", apiURL)), "console: {user: alice, enabled: true}", "console: {user: alice}", 1)
}

// With Slack set up (secrets from the environment) and stdin at its end,
// as in a container run without -it, the bot serves Slack until stopped;
// a signed slash command gets its card posted.
func TestServeHeadlessWithSlackOverHTTP(t *testing.T) {
	api := newSlackAPI(t, authOK)
	const signingSecret = "test-signing-secret"
	h := startHeadless(t, slackConfig(t.TempDir(), api.URL+"/api/"), map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret,
	}, strings.NewReader(""))
	code, body := h.get("/readyz")
	assert.Equal(t, http.StatusOK, code, body)

	form := url.Values{"team_id": {"T0"}, "channel_id": {"C0"}, "user_id": {"U0ALICE"}, "command": {"/streamops"},
		"text": {"pipeline pause orders-etl"}, "trigger_id": {"1.2.3"}}.Encode()
	resp, err := http.DefaultClient.Do(signedSlack(t, "http://"+h.addr+"/slack/commands", signingSecret, form))
	require.NoError(t, err)
	ack, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(ack), "Working on")
	api.waitForPost(t, "orders-etl (p-7d3f9a21)")

	assert.NotContains(t, h.stderr.String(), "xoxb-test", "no secret in the log")
	assert.NotContains(t, h.stderr.String(), signingSecret, "no secret in the log")
	require.NoError(t, h.stop())
}

// Without Slack and without a terminal (`bot serve </dev/null`), the bot no
// longer stops at once: it runs headless until told to stop.
func TestServeWithoutATerminalRunsUntilStopped(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer devNull.Close()
	h := startHeadless(t, strings.Replace(testConfig(t.TempDir(), ""), ", enabled: true", "", 1), nil, devNull)
	(&program{t: t, stderr: h.stderr, done: h.done}).logValue("running without a console until stopped (SIGTERM or Ctrl-C)", "msg")
	code, _ := h.get("/healthz")
	assert.Equal(t, http.StatusOK, code)
	select {
	case err := <-h.done:
		t.Fatalf("the bot stopped by itself: %v", err)
	default:
	}
	require.NoError(t, h.stop())
}

// A token Slack refuses shows in /readyz.
func TestReadyzSaysWhenSlackRefusesTheToken(t *testing.T) {
	api := newSlackAPI(t, `{"ok":false,"error":"invalid_auth"}`)
	h := startHeadless(t, slackConfig(t.TempDir(), api.URL+"/api/"), map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-revoked", "SLACK_SIGNING_SECRET": "s",
	}, strings.NewReader(""))
	code, body := h.get("/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "auth.test failed at start (invalid_auth)")
}

// check-config names the missing half of a Slack setup by its key.
func TestCheckConfigReportsHalfASlack(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		slack string
		env   map[string]string
		want  string
	}{
		{"slack: {bot_token: xoxb-1}\n", nil, "slack.signing_secret, slack.app_token: slack.bot_token is set but neither is"},
		{"", map[string]string{"SLACK_SIGNING_SECRET": "s"}, "slack.bot_token: required when slack.signing_secret or slack.app_token is set"},
		{"slack: {bot_token: xoxb-1, app_token: xoxb-2}\n", nil, "slack.app_token: an app-level token starts with xapp-"},
		{"slack: {bot_token: xoxp-1, signing_secret: s}\n", nil, "slack.bot_token: a bot token starts with xoxb-"},
		{"slack: {bot_token: xoxb-1, signing_secret: s, command: streamops}\n", nil, `slack.command: "streamops" is not a slash command`},
		{"slack: {bot_token: xoxb-1, signing_secret: s, api_url: 'ftp://x'}\n", nil, `slack.api_url: "ftp://x/" is not an http(s) URL`},
	} {
		path := filepath.Join(dir, "c.yaml")
		require.NoError(t, os.WriteFile(path, []byte(testConfig(dir, c.slack)), 0o600))
		err := run(context.Background(), []string{"check-config", "--config", path}, func(k string) string { return c.env[k] }, nil, io.Discard, io.Discard)
		require.Error(t, err, c.slack)
		assert.Contains(t, err.Error(), c.want)
		assert.NotContains(t, err.Error(), "xoxb-1", "no secret echoed")
	}
	path := filepath.Join(dir, "ok.yaml")
	require.NoError(t, os.WriteFile(path, []byte(testConfig(dir, "")), 0o600))
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}
	require.NoError(t, run(context.Background(), []string{"check-config", "--config", path}, func(k string) string { return env[k] }, nil, io.Discard, io.Discard))
}

// With an app-level token the bot takes commands over Socket Mode: no
// public URL, and each envelope is acknowledged.
func TestServeOverSocketMode(t *testing.T) {
	api := newSlackAPI(t, authOK)
	h := startHeadless(t, slackConfig(t.TempDir(), api.URL+"/api/"), map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-1-test",
	}, strings.NewReader(""))
	var conn *websocket.Conn
	select {
	case conn = <-api.sockets:
	case <-time.After(15 * time.Second):
		t.Fatalf("no Socket Mode connection\n%s", h.stderr.String())
	}
	defer conn.Close()
	require.NoError(t, conn.WriteJSON(map[string]any{"type": "hello", "num_connections": 1}))
	require.NoError(t, conn.WriteJSON(map[string]any{
		"envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": true,
		"payload": map[string]any{"team_id": "T0", "channel_id": "C0", "user_id": "U0ALICE", "command": "/streamops",
			"text": "pipeline pause orders-etl", "is_enterprise_install": "false", "trigger_id": "9.9.9"},
	}))
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	var ack struct {
		EnvelopeID string `json:"envelope_id"`
		Payload    struct {
			Text string `json:"text"`
		} `json:"payload"`
	}
	require.NoError(t, conn.ReadJSON(&ack))
	assert.Equal(t, "env-1", ack.EnvelopeID)
	assert.Contains(t, ack.Payload.Text, "Working on")
	api.waitForPost(t, "orders-etl (p-7d3f9a21)")
	code, _ := h.get("/slack/commands")
	assert.Equal(t, http.StatusNotFound, code, "no HTTP endpoint without a signing secret")
	require.NoError(t, h.stop())
}

// signedSlack is a POST of form as Slack signs it with secret.
func signedSlack(t testing.TB, url, secret, form string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(form))
	require.NoError(t, err)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, form)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}
