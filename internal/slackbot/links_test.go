package slackbot

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slacktest"
)

// linkCard posts the card of a request an alert made with these addresses
// and returns its Block Kit blocks as Slack got them.
func linkCard(t *testing.T, w *world, a ops.Alert) []map[string]any {
	t.Helper()
	a.Rule, a.Name, a.Fired = "pause-backlogged", "OrdersBacklog", 1
	reply, err := w.svc.Handle(context.Background(), ops.Input{
		Text: "pipeline pause orders-etl", User: "alert", Origin: ops.Origin{Frontend: ops.FrontendAlert, Channel: channel}, Alert: &a,
	})
	require.NoError(t, err)
	w.bot.ShowCard(context.Background(), *reply.Request)
	c := w.slack.WaitFor("the alert's card", slacktest.Containing("chat.postMessage", reply.Request.ID))
	var blocks []map[string]any
	require.NoError(t, json.Unmarshal([]byte(c.Form.Get("blocks")), &blocks))
	return blocks
}

// linkButtons are the URL buttons among blocks: label -> url.
func linkButtonsOf(blocks []map[string]any) map[string]string {
	got := map[string]string{}
	for _, b := range blocks {
		if b["type"] != "actions" {
			continue
		}
		for _, e := range b["elements"].([]any) {
			el := e.(map[string]any)
			if u, ok := el["url"].(string); ok {
				got[el["text"].(map[string]any)["text"].(string)] = u
			}
		}
	}
	return got
}

// A card from an alert has its runbook, source and silence as link buttons.
func TestAlertCardHasLinkButtons(t *testing.T) {
	w := newWorld(t)
	silence := "http://am:9093/#/silences/new?filter=%7Balertname%3D%22OrdersBacklog%22%7D"
	blocks := linkCard(t, w, ops.Alert{Runbook: "https://wiki.example.com/orders-backlog", Source: "http://prometheus:9090/graph?g0.expr=lag", Silence: silence})
	assert.Equal(t, map[string]string{
		"Runbook": "https://wiki.example.com/orders-backlog",
		"Source":  "http://prometheus:9090/graph?g0.expr=lag",
		"Silence": silence,
	}, linkButtonsOf(blocks))
	raw, _ := json.Marshal(blocks)
	assert.NotContains(t, string(raw), "*Runbook:*", "a link is a button, not a line too")
}

// An address that is not an absolute http(s) link is no button: it is
// shown as escaped text.
func TestAlertCardUnsafeLinksAreText(t *testing.T) {
	w := newWorld(t)
	blocks := linkCard(t, w, ops.Alert{Runbook: "javascript:alert(1)", Source: "/graph?g0.expr=<lag>"})
	assert.Empty(t, linkButtonsOf(blocks))
	raw, _ := json.Marshal(blocks)
	assert.Contains(t, string(raw), "*Runbook:* javascript:alert(1)")
	assert.Contains(t, string(raw), "*Source:* /graph?g0.expr=\\u0026lt;lag\\u0026gt;")
}

// Slack sends a block action for a click on a link button too: it is acked
// and changes nothing, over HTTP and Socket Mode alike.
func TestLinkButtonClickIsIgnored(t *testing.T) {
	w := newWorld(t)
	blocks := linkCard(t, w, ops.Alert{Runbook: "https://wiki.example.com/rb"})
	require.Len(t, linkButtonsOf(blocks), 1)
	code, _ := w.click(alice, "link-0", "", "1764500000.000100")
	assert.Equal(t, http.StatusOK, code)
	s := w.socketMode()
	s.send(map[string]any{"envelope_id": "env-link", "type": "interactive", "accepts_response_payload": true,
		"payload": w.clickPayload(alice, "link-0", "", "1764500000.000100", "t-link")})
	s.ack("env-link")
	pending, err := w.svc.Handle(context.Background(), ops.Input{Text: "pending", User: alice, Origin: ops.Origin{Frontend: ops.FrontendSlack, Channel: channel}})
	require.NoError(t, err)
	assert.Contains(t, pending.Text, "orders-etl", "the request is still pending")
	assert.Zero(t, w.slack.Count(slacktest.Method("chat.update")), "nothing was decided")
}
