package slackbot

import (
	"context"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Over Socket Mode a slash command and a click go through the same handlers
// and each envelope is acknowledged, the command's with its ephemeral text.
func TestSocketModeCommandAndClick(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	api := slack.New("xoxb-test", slack.OptionAPIURL(w.slack.apiURL()), slack.OptionAppLevelToken("xapp-1-test"))
	ran := make(chan error, 1)
	go func() { ran <- w.bot.RunSocketMode(ctx, socketmode.New(api)) }()
	defer func() {
		cancel()
		select {
		case <-ran:
		case <-time.After(10 * time.Second):
			t.Error("Socket Mode did not stop")
		}
	}()

	var conn *websocket.Conn
	select {
	case conn = <-w.slack.sockets:
	case <-time.After(10 * time.Second):
		t.Fatalf("the bot never opened a Socket Mode connection; Slack got:\n%s\n%s", dump(w.slack.calls()), w.logs.String())
	}
	defer conn.Close()
	send := func(v any) {
		t.Helper()
		require.NoError(t, conn.WriteJSON(v))
	}
	ackOf := func(envelope string) map[string]any {
		t.Helper()
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
		for {
			var m map[string]any
			require.NoError(t, conn.ReadJSON(&m), "no ack for %s", envelope)
			if m["envelope_id"] == envelope {
				return m
			}
		}
	}
	send(map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": "A0APP"},
		"debug_info":      map[string]any{"host": "applink-1", "build_number": 10, "approximate_connection_time": 18060}})

	send(map[string]any{
		"envelope_id": "env-command", "type": "slash_commands", "accepts_response_payload": true,
		"payload": map[string]any{
			"token": "deprecated", "team_id": "T0ACME", "team_domain": "acme", "channel_id": channel,
			"channel_name": "incident-42", "user_id": alice, "user_name": "alice", "command": "/streamops",
			"text": "pipeline pause orders-etl", "api_app_id": "A0APP", "is_enterprise_install": "false",
			"response_url": w.slack.responseURL("socket-cmd"), "trigger_id": "1.2.socket",
		},
	})
	got := ackOf("env-command")
	payload, _ := got["payload"].(map[string]any)
	assert.Equal(t, "Working on `pipeline pause orders-etl`…", payload["text"])
	assert.Equal(t, "ephemeral", payload["response_type"])

	id, ts := w.card(`orders-etl`)
	send(map[string]any{"envelope_id": "env-click", "type": "interactive", "accepts_response_payload": false,
		"payload": w.clickPayload(bob, "confirm", id, ts, "3.4.socket")})
	ackOf("env-click")

	w.slack.waitFor("the outcome in the thread", threadReply(ts, `job ID p-7d3f9a21, request ID`))
	w.slack.waitFor("the status follow-up", threadReply(ts, `is PAUSED after`))
}
