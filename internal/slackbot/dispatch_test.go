package slackbot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/slacktest"
)

// options is a block_suggestion's answer: the menu's choices.
var options = map[string]any{"options": []any{map[string]any{
	"text": map[string]any{"type": "plain_text", "text": "orders-etl"}, "value": "orders-etl",
}}}

// dispatched is a world whose bot also answers external-select
// suggestions and App Home openings, as test handlers that say what
// reached them on got.
func dispatched(t *testing.T) (*world, chan string) {
	got := make(chan string, 4)
	w := newWorld(t, func(o *setup) {
		o.interactions = map[slack.InteractionType]interactionHandler{
			slack.InteractionTypeBlockSuggestion: func(_ context.Context, _ string, cb slack.InteractionCallback) any {
				got <- "suggestion " + cb.Value + " for " + cb.User.ID
				return options
			},
		}
		o.events = map[string]eventHandler{
			string(slackevents.AppHomeOpened): func(_ context.Context, _ string, ev slackevents.EventsAPIInnerEvent) {
				home, _ := ev.Data.(*slackevents.AppHomeOpenedEvent)
				got <- "home of " + home.User
			},
		}
	})
	return w, got
}

// reached is what reached a handler before its ack came back; "" if nothing.
func reached(got chan string) string {
	select {
	case s := <-got:
		return s
	default:
		return ""
	}
}

func interactionPayload(typ string) json.RawMessage {
	return json.RawMessage(`{"type":"` + typ + `","user":{"id":"` + alice + `","team_id":"T0ACME"},"team":{"id":"T0ACME"},` +
		`"api_app_id":"A0APP","action_id":"target","block_id":"pick","value":"ord","view":{"id":"V0","type":"modal","state":{"values":{}}}}`)
}

func eventPayload(typ string) json.RawMessage {
	return json.RawMessage(`{"token":"deprecated","team_id":"T0ACME","api_app_id":"A0APP","type":"event_callback",` +
		`"event_id":"Ev0` + strings.ToUpper(typ[:3]) + `","event_time":1764500000,` +
		`"event":{"type":"` + typ + `","user":"` + alice + `","channel":"D0ALICE","tab":"home","event_ts":"1764500000.000100"}}`)
}

// Over HTTP, an interaction or event goes to the handler of its type, whose
// answer is the ack; a type nobody handles gets an empty 200 and causes
// nothing but a debug line.
func TestDispatchOverHTTP(t *testing.T) {
	w, got := dispatched(t)
	post := func(path, body string) (int, string) {
		t.Helper()
		return do(t, signed(t, w.srv.URL+path, body, time.Now()))
	}
	interaction := func(typ string) string {
		return url.Values{"payload": {string(interactionPayload(typ))}}.Encode()
	}

	code, body := post("/slack/interactions", interaction("block_suggestion"))
	assert.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"options":[{"text":{"type":"plain_text","text":"orders-etl"},"value":"orders-etl"}]}`, body)
	assert.Equal(t, "suggestion ord for "+alice, reached(got))

	code, body = post("/slack/events", string(eventPayload("app_home_opened")))
	assert.Equal(t, http.StatusOK, code)
	assert.Empty(t, body)
	assert.Equal(t, "home of "+alice, reached(got))

	code, body = post("/slack/interactions", interaction("view_closed"))
	assert.Equal(t, http.StatusOK, code)
	assert.Empty(t, body)
	code, body = post("/slack/events", string(eventPayload("member_joined_channel")))
	assert.Equal(t, http.StatusOK, code)
	assert.Empty(t, body)
	assert.Empty(t, reached(got))
	assert.Contains(t, w.logs.String(), `"level":"DEBUG","msg":"ignored a Slack interaction of a type the bot does not handle","type":"view_closed"`)
	assert.Contains(t, w.logs.String(), `"level":"DEBUG","msg":"ignored a Slack event of a type the bot does not handle","type":"event_callback","event":"member_joined_channel"`)

	// Slack checks the events URL with a challenge it wants back.
	code, body = post("/slack/events", `{"token":"deprecated","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", body)
	assert.Zero(t, len(w.slack.Calls())-w.slack.Count(slacktest.Method("auth.test")), "nothing said in Slack:\n%s", slacktest.Dump(w.slack.Calls()))
}

// Over Socket Mode, the same handlers are reached and their answer is the
// envelope's ack payload; types nobody handles are acked without one.
func TestDispatchOverSocketMode(t *testing.T) {
	w, got := dispatched(t)
	s := w.socketMode()

	s.send(map[string]any{"envelope_id": "env-suggest", "type": "interactive", "accepts_response_payload": true,
		"payload": interactionPayload("block_suggestion")})
	assert.Equal(t, options, s.ack("env-suggest")["payload"])
	assert.Equal(t, "suggestion ord for "+alice, reached(got))

	s.send(map[string]any{"envelope_id": "env-home", "type": "events_api", "accepts_response_payload": false,
		"payload": eventPayload("app_home_opened")})
	assert.NotContains(t, s.ack("env-home"), "payload")
	assert.Equal(t, "home of "+alice, reached(got))

	s.send(map[string]any{"envelope_id": "env-submit", "type": "interactive", "accepts_response_payload": true,
		"payload": interactionPayload("view_closed")})
	assert.NotContains(t, s.ack("env-submit"), "payload")
	s.send(map[string]any{"envelope_id": "env-joined", "type": "events_api", "accepts_response_payload": false,
		"payload": eventPayload("member_joined_channel")})
	assert.NotContains(t, s.ack("env-joined"), "payload")
	assert.Empty(t, reached(got))
	assert.Contains(t, w.logs.String(), `"msg":"ignored a Slack interaction of a type the bot does not handle","type":"view_closed"`)
	assert.Contains(t, w.logs.String(), `"msg":"ignored a Slack event of a type the bot does not handle","type":"event_callback","event":"member_joined_channel"`)
}

// What is not an Events API delivery is refused with 400; what is not
// signed, with 401, as for commands and clicks.
func TestEventsRefuseMalformedAndUnsigned(t *testing.T) {
	w := newWorld(t)
	for _, body := range []string{
		``, `not json`, `[]`, `{"type":"event_callback"}`, `{"type":"event_callback","event":"x"}`,
		`{"type":"event_callback","event":{"type":"no_such_event"}}`,
	} {
		code, _ := do(t, signed(t, w.srv.URL+"/slack/events", body, time.Now()))
		assert.Equal(t, http.StatusBadRequest, code, body)
	}
	code, _ := do(t, slacktest.Signed(t, w.srv.URL+"/slack/events", "not the secret", string(eventPayload("app_home_opened")), time.Now()))
	assert.Equal(t, http.StatusUnauthorized, code)
	require.NotContains(t, w.logs.String(), "ignored a Slack event")
}
