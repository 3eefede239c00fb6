package slackbot

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/slacktest"
)

// replica is a second bot on the world's NATS (its own connection), as
// another replica behind the same Slack app.
func (w *world) replica() (*Bot, *httptest.Server) {
	w.t.Helper()
	conn, err := bus.Connect(context.Background(), bus.Config{URL: w.bus.ClientURL()}, slog.New(slog.DiscardHandler))
	require.NoError(w.t, err)
	w.t.Cleanup(func() { conn.Close(context.Background()) })
	api := slack.New("xoxb-test", slack.OptionAPIURL(w.slack.APIURL()), slack.OptionAppLevelToken("xapp-1-test"))
	bot := New(w.svc, api, Config{SigningSecret: secret, Deliveries: conn.Deliveries(), CallTimeout: 5 * time.Second,
		Log: slog.New(slog.NewJSONHandler(w.logs, nil)), Wait: func(context.Context, time.Duration) error { return nil }})
	mux := http.NewServeMux()
	bot.Routes(mux)
	srv := httptest.NewServer(mux)
	w.t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		assert.NoError(w.t, bot.Wait(ctx))
	})
	return bot, srv
}

func (w *world) cards() int {
	return w.slack.Count(func(c slacktest.Call) bool { return c.Method == "chat.postMessage" && c.Form.Get("thread_ts") == "" })
}

// A proxy retrying a slash command and a click on another replica: one
// card, one provider call, and nobody told the click came twice.
func TestOneDeliveryToTwoReplicasOverHTTP(t *testing.T) {
	w := newWorld(t)
	_, other := w.replica()
	body, at := w.commandBody(alice, "pipeline pause orders-etl", "t-twice"), time.Now()
	for _, base := range []string{w.srv.URL, other.URL} { // the same bytes, signature and all
		code, _ := do(t, signed(t, base+"/slack/commands", body, at))
		assert.Equal(t, http.StatusOK, code)
	}

	id, ts := w.card(`orders-etl`)
	click := w.clickBody(bob, "confirm", id, ts, "t-click-twice")
	at = time.Now()
	for _, base := range []string{w.srv.URL, other.URL} {
		code, _ := do(t, signed(t, base+"/slack/interactions", click, at))
		assert.Equal(t, http.StatusOK, code)
	}
	w.slack.WaitFor("the status follow-up", threadReply(ts, `is PAUSED after`))
	require.NoError(t, w.bot.Wait(t.Context()))
	assert.Equal(t, 1, w.cards(), "one card:\n%s", slacktest.Dump(w.slack.Calls()))
	assert.EqualValues(t, 1, w.enosPosts.Load())
	assert.Zero(t, w.slack.Count(slacktest.Containing("response_url click-", `already`)))
}

// Slack sending a Socket Mode envelope again to another replica's
// connection (the first one did not ack in time): one card.
func TestOneEnvelopeToTwoReplicasOverSocketMode(t *testing.T) {
	w := newWorld(t)
	other, _ := w.replica()
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 2)
	var conns []*websocket.Conn
	for _, bot := range []*Bot{w.bot, other} {
		api := slack.New("xoxb-test", slack.OptionAPIURL(w.slack.APIURL()), slack.OptionAppLevelToken("xapp-1-test"))
		go func() { ran <- bot.RunSocketMode(ctx, socketmode.New(api)) }()
		select {
		case conn := <-w.slack.Sockets:
			conns = append(conns, conn)
		case <-time.After(10 * time.Second):
			t.Fatalf("no Socket Mode connection; Slack got:\n%s", slacktest.Dump(w.slack.Calls()))
		}
	}
	defer func() {
		cancel()
		for range 2 {
			select {
			case <-ran:
			case <-time.After(10 * time.Second):
				t.Error("Socket Mode did not stop")
			}
		}
	}()
	envelope := map[string]any{
		"envelope_id": "env-twice", "type": "slash_commands", "accepts_response_payload": true, "retry_attempt": 0,
		"payload": map[string]any{
			"team_id": "T0ACME", "channel_id": channel, "user_id": alice, "command": "/streamops",
			"text": "pipeline pause orders-etl", "is_enterprise_install": "false",
			"response_url": w.slack.ResponseURL("socket-twice"), "trigger_id": "5.6.twice",
		},
	}
	for i, conn := range conns {
		defer conn.Close()
		require.NoError(t, conn.WriteJSON(map[string]any{"type": "hello", "num_connections": 2}))
		envelope["retry_attempt"] = i
		require.NoError(t, conn.WriteJSON(envelope))
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
		for {
			var m map[string]any
			require.NoError(t, conn.ReadJSON(&m), "no ack on connection %d", i)
			if m["envelope_id"] == "env-twice" {
				break
			}
		}
	}
	w.card(`orders-etl`)
	require.NoError(t, w.bot.Wait(t.Context()))
	require.NoError(t, other.Wait(t.Context()))
	assert.Equal(t, 1, w.cards(), "one card:\n%s", slacktest.Dump(w.slack.Calls()))
}

// lostDeliveries is a deliveries store NATS cannot reach.
type lostDeliveries struct{}

func (lostDeliveries) First(context.Context, string) (bool, error) {
	return false, errors.New("nats: timeout")
}

// Whether Slack delivered a command before cannot be told: the command is
// worked on all the same (failing open), and the log says why.
func TestDeliveriesUnknownFailOpen(t *testing.T) {
	w := newWorld(t, func(o *setup) { o.bot.Deliveries = lostDeliveries{} })
	code, ack, _ := w.command(alice, "pipeline pause orders-etl")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "Working on `pipeline pause orders-etl`…", ack)
	w.card(`orders-etl`)
	assert.Contains(t, w.logs.String(), `"msg":"could not check whether Slack delivered this before (NATS); working on it","err":"nats: timeout"`)
}
