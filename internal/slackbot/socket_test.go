package slackbot

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Over Socket Mode a slash command and a click go through the same handlers
// and each envelope is acknowledged, the command's with its ephemeral text.
func TestSocketModeCommandAndClick(t *testing.T) {
	w := newWorld(t)
	s := w.socketMode()
	send, ackOf := s.send, s.ack

	send(w.slashEnvelope("env-command", alice, "pipeline pause orders-etl"))
	got := ackOf("env-command")
	payload, _ := got["payload"].(map[string]any)
	assert.Equal(t, "Working on `pipeline pause orders-etl`…", payload["text"])
	assert.Equal(t, "ephemeral", payload["response_type"])

	id, ts := w.card(`orders-etl`)
	send(map[string]any{"envelope_id": "env-click", "type": "interactive", "accepts_response_payload": false,
		"payload": w.clickPayload(bob, "confirm", id, ts, "3.4.socket")})
	ackOf("env-click")

	w.slack.WaitFor("the outcome in the thread", threadReply(ts, `job ID p-7d3f9a21, request ID`))
	w.slack.WaitFor("the status follow-up", threadReply(ts, `is PAUSED after`))
}
