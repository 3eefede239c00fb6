package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/slacktest"
)

// terminate sends what SIGTERM would and waits for the bot to end.
func (p *program) terminate() error {
	p.signal()
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(30 * time.Second):
		p.t.Error("the bot did not stop within 30s")
		return nil
	}
}

func (p *program) get(path string) (int, string) {
	resp, err := http.Get("http://" + p.addr + path)
	require.NoError(p.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// posted waits for a message posted to Slack whose field holds text.
func posted(api *slacktest.Slack, field, text string) slacktest.Call {
	return api.WaitFor(fmt.Sprintf("a message with %q in %s", text, field), slacktest.Posted(field, text))
}

func slackConfig(dir, apiURL string) string {
	return strings.Replace(testConfig(dir, fmt.Sprintf("slack: {api_url: %q}\n", apiURL)), "console: {user: alice, enabled: true}", "console: {user: alice}", 1)
}

// With Slack set up (secrets from the environment) and stdin at its end,
// as in a container run without -it, the bot serves Slack until stopped;
// a signed slash command gets its card posted.
func TestServeHeadlessWithSlackOverHTTP(t *testing.T) {
	api := slacktest.New(t)
	const signingSecret = "test-signing-secret"
	h := startHeadless(t, slackConfig(t.TempDir(), api.APIURL()), map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret,
	}, strings.NewReader(""))
	code, body := h.get("/readyz")
	assert.Equal(t, http.StatusOK, code, body)

	form := url.Values{"team_id": {"T0"}, "channel_id": {"C0"}, "user_id": {"U0ALICE"}, "command": {"/streamops"},
		"text": {"pipeline pause orders-etl"}, "trigger_id": {"1.2.3"}}.Encode()
	resp, err := http.DefaultClient.Do(slacktest.Signed(t, "http://"+h.addr+"/slack/commands", signingSecret, form, time.Now()))
	require.NoError(t, err)
	ack, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(ack), "Working on")
	posted(api, "blocks", "orders-etl (p-7d3f9a21)")

	assert.NotContains(t, h.stderr.String(), "xoxb-test", "no secret in the log")
	assert.NotContains(t, h.stderr.String(), signingSecret, "no secret in the log")
	require.NoError(t, h.terminate())
}

// Without Slack and without a terminal (`bot serve </dev/null`), the bot no
// longer stops at once: it runs headless until told to stop.
func TestServeWithoutATerminalRunsUntilStopped(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer devNull.Close()
	h := startHeadless(t, strings.Replace(testConfig(t.TempDir(), ""), ", enabled: true", "", 1), nil, devNull)
	h.logValue("running without a console until stopped (SIGTERM or Ctrl-C)", "msg")
	code, _ := h.get("/healthz")
	assert.Equal(t, http.StatusOK, code)
	select {
	case err := <-h.done:
		t.Fatalf("the bot stopped by itself: %v", err)
	default:
	}
	require.NoError(t, h.terminate())
}

// A token Slack refuses shows in /readyz.
func TestReadyzSaysWhenSlackRefusesTheToken(t *testing.T) {
	api := slacktest.New(t)
	api.SetAuth(`{"ok":false,"error":"invalid_auth"}`)
	h := startHeadless(t, slackConfig(t.TempDir(), api.APIURL()), map[string]string{
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
	api := slacktest.New(t)
	h := startHeadless(t, slackConfig(t.TempDir(), api.APIURL()), map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-1-test",
	}, strings.NewReader(""))
	var conn *websocket.Conn
	select {
	case conn = <-api.Sockets:
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
	posted(api, "blocks", "orders-etl (p-7d3f9a21)")
	code, _ := h.get("/slack/commands")
	assert.Equal(t, http.StatusNotFound, code, "no HTTP endpoint without a signing secret")
	require.NoError(t, h.terminate())
}
