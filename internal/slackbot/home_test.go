package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slacktest"
	"github.com/streamops/streamops/internal/testwait"
)

// homePolicy lets alice and bob ask, and only bob confirm.
func homePolicy(o *setup) {
	o.policy = []ops.Rule{{Name: "everything", Operations: []string{"*"}, Requesters: []string{alice, bob}, Confirmers: []string{bob}}}
}

// homeEvent is app_home_opened as Slack sends it when user opens tab.
func (w *world) homeEvent(user, tab string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"token":"deprecated","team_id":"T0ACME","api_app_id":"A0APP","type":"event_callback",`+
		`"event_id":"Ev0HOME%d","event_time":1764500000,"authorizations":[{"team_id":"T0ACME","user_id":"U0BOT","is_bot":true}],`+
		`"event":{"type":"app_home_opened","user":%q,"channel":"D0%s","tab":%q,"event_ts":"1764500000.%06d"}}`,
		w.sent.Add(1), user, user, tab, w.sent.Load()))
}

// openHome sends app_home_opened for user's Home tab over HTTP.
func (w *world) openHome(user string) {
	w.t.Helper()
	code, body := do(w.t, signed(w.t, w.srv.URL+"/slack/events", string(w.homeEvent(user, "home")), time.Now()))
	require.Equal(w.t, http.StatusOK, code, body)
}

// homeOf matches a views.publish of user's Home tab whose Block Kit
// matches pattern.
func homeOf(user, pattern string) func(slacktest.Call) bool {
	re := regexp.MustCompile(pattern)
	return func(c slacktest.Call) bool {
		return c.Method == "views.publish" && c.JSON["user_id"] == user && re.MatchString(c.Text())
	}
}

// homeBlocks are the blocks of a published Home view.
func homeBlocksOf(t *testing.T, c slacktest.Call) []map[string]any {
	t.Helper()
	view, ok := c.JSON["view"].(map[string]any)
	require.True(t, ok, c.Text())
	require.Equal(t, "home", view["type"])
	raw, ok := view["blocks"].([]any)
	require.True(t, ok, c.Text())
	blocks := make([]map[string]any, len(raw))
	for i, b := range raw {
		blocks[i] = b.(map[string]any)
	}
	return blocks
}

// decisionOf is the actions block of request id on a Home view: its
// buttons' action IDs and values.
func decisionOf(t *testing.T, blocks []map[string]any, id string) (actions, values []string) {
	t.Helper()
	for _, b := range blocks {
		if b["type"] != "actions" || b["block_id"] != "decision-"+id {
			continue
		}
		for _, e := range b["elements"].([]any) {
			el := e.(map[string]any)
			actions = append(actions, el["action_id"].(string))
			values = append(values, el["value"].(string))
		}
	}
	return actions, values
}

// homeClick is a click on a button of user's Home tab: no channel, no
// message and no response_url, as Slack sends it from a view.
func (w *world) homeClick(user, action, id string) json.RawMessage {
	raw, err := json.Marshal(map[string]any{
		"type": "block_actions", "api_app_id": "A0APP", "token": "deprecated",
		"user":       map[string]any{"id": user, "username": strings.ToLower(user), "team_id": "T0ACME"},
		"team":       map[string]any{"id": "T0ACME", "domain": "acme"},
		"trigger_id": fmt.Sprintf("%d.home", 3000+w.sent.Add(1)),
		"container":  map[string]any{"type": "view", "view_id": "V0HOME"},
		"view":       map[string]any{"id": "V0HOME", "type": "home", "team_id": "T0ACME", "blocks": []any{}, "state": map[string]any{"values": map[string]any{}}},
		"actions": []any{map[string]any{
			"action_id": action, "block_id": "decision-" + id, "value": id, "type": "button",
			"text": map[string]any{"type": "plain_text", "text": "Confirm"}, "action_ts": "1764500001.000300",
		}},
	})
	require.NoError(w.t, err)
	return raw
}

// Over HTTP: opening Home publishes what waits for the viewer, with the
// card's buttons, and their own recent requests; a confirmation elsewhere
// publishes it again without the request; the Messages tab publishes nothing.
func TestHomeOverHTTP(t *testing.T) {
	w := newWorld(t, homePolicy)
	w.command(alice, "pipeline pause orders-etl")
	id, ts := w.card(`orders-etl`)

	w.openHome(bob)
	home := w.slack.WaitFor("bob's Home", homeOf(bob, id))
	blocks := homeBlocksOf(t, home)
	assert.Equal(t, "header", blocks[0]["type"])
	assert.Equal(t, "Waiting for your confirmation", blocks[0]["text"].(map[string]any)["text"])
	actions, values := decisionOf(t, blocks, id)
	assert.Equal(t, []string{actionConfirm, actionCancel}, actions, "the card's own action IDs, so the click handler takes them")
	assert.Equal(t, []string{id, id}, values)
	assert.Contains(t, home.Text(), "Asked by <@"+alice+"> in <#"+channel+">")
	assert.Contains(t, home.Text(), "You asked for nothing in the last day.")

	// Alice may not confirm: nothing waits for her, and her request is among hers.
	w.openHome(alice)
	mine := w.slack.WaitFor("alice's Home", homeOf(alice, `Nothing is waiting for you`))
	assert.Regexp(t, `\*`+id+`\* pipeline pause orders-etl \(p-7d3f9a21\): \*pending\*`, mine.Text())
	decision, _ := decisionOf(t, homeBlocksOf(t, mine), id)
	assert.Empty(t, decision)

	// Opening the Messages tab sends the same event: no Home is published for it.
	code, _ := do(t, signed(t, w.srv.URL+"/slack/events", string(w.homeEvent("U0CAROL", "messages")), time.Now()))
	assert.Equal(t, http.StatusOK, code)

	// Bob confirms on the card: both tabs are published again.
	w.click(bob, "confirm", id, ts)
	w.slack.WaitFor("the status follow-up", threadReply(ts, `is PAUSED after`))
	w.slack.WaitFor("bob's Home without it", homeOf(bob, `Nothing is waiting for you`))
	done := w.slack.WaitFor("alice's Home with its outcome", homeOf(alice, `\*`+id+`\* pipeline pause orders-etl \(p-7d3f9a21\): \*succeeded\* by <@`+bob+`>`))
	assert.Contains(t, done.Text(), "request ID")
	require.NoError(t, w.bot.Wait(t.Context()))
	assert.Zero(t, w.slack.Count(func(c slacktest.Call) bool { return c.Method == "views.publish" && c.JSON["user_id"] == "U0CAROL" }))
}

// Over Socket Mode: the same event publishes the same Home, and its
// buttons work: a confirmation from Home updates the card in its channel,
// and a refusal (no message to answer under) is said at the top of Home.
func TestHomeOverSocketMode(t *testing.T) {
	w := newWorld(t, homePolicy)
	s := w.socketMode()
	w.command(alice, "pipeline pause orders-etl")
	id, ts := w.card(`orders-etl`)

	s.send(map[string]any{"envelope_id": "env-home", "type": "events_api", "accepts_response_payload": false, "payload": w.homeEvent(bob, "home")})
	assert.NotContains(t, s.ack("env-home"), "payload")
	actions, _ := decisionOf(t, homeBlocksOf(t, w.slack.WaitFor("bob's Home", homeOf(bob, id))), id)
	assert.Equal(t, []string{actionConfirm, actionCancel}, actions)

	// Alice clicks confirm on her Home (as if she had seen it): refused, on her tab.
	s.send(map[string]any{"envelope_id": "env-home-alice", "type": "events_api", "accepts_response_payload": false, "payload": w.homeEvent(alice, "home")})
	s.ack("env-home-alice")
	w.slack.WaitFor("alice's Home", homeOf(alice, id))
	s.send(map[string]any{"envelope_id": "env-refused", "type": "interactive", "accepts_response_payload": true, "payload": w.homeClick(alice, actionConfirm, id)})
	s.ack("env-refused")
	refused := w.slack.WaitFor("the refusal on alice's Home", homeOf(alice, `Refused by policy rule`))
	assert.Contains(t, refused.Text(), "<@"+bob+">", "it names who may confirm")
	assert.Zero(t, w.enosPosts.Load())

	s.send(map[string]any{"envelope_id": "env-confirm", "type": "interactive", "accepts_response_payload": true, "payload": w.homeClick(bob, actionConfirm, id)})
	s.ack("env-confirm")
	w.slack.WaitFor("the card, updated in its channel", cardUpdate(ts, `Confirmed by <@`+bob+`>`))
	w.slack.WaitFor("the status follow-up", threadReply(ts, `is PAUSED after`))
	w.slack.WaitFor("bob's Home without it", homeOf(bob, `Nothing is waiting for you`))
	assert.EqualValues(t, 1, w.enosPosts.Load())
}

// A burst of changes publishes a Home tab at most once per HomeEvery,
// and the last publish shows the state after the burst.
func TestHomeRefreshesAreDebounced(t *testing.T) {
	const every = 2 * time.Second
	w := newWorld(t, homePolicy, func(o *setup) { o.bot.HomeEvery = every })
	const burst = 20
	var ids []string
	for i := range burst {
		reply, err := w.svc.Handle(t.Context(), ops.Input{Text: "pipeline pause orders-etl", User: alice, Origin: ops.Origin{Frontend: ops.FrontendConsole}})
		require.NoError(t, err, i)
		require.NotNil(t, reply.Request)
		ids = append(ids, reply.Request.ID)
	}
	w.openHome(bob)
	w.slack.WaitFor("bob's Home with the burst", homeOf(bob, ids[burst-1]))
	before := w.slack.Count(homeOf(bob, ""))

	start := time.Now()
	for _, id := range ids {
		_, err := w.svc.Cancel(t.Context(), id, bob)
		require.NoError(t, err)
	}
	w.slack.WaitFor("bob's Home after the burst", homeOf(bob, `Nothing is waiting for you`))
	took := time.Since(start)
	require.NoError(t, w.bot.Wait(t.Context()))
	published := w.slack.Count(homeOf(bob, "")) - before
	// One publish at once, then at most one per HomeEvery.
	assert.LessOrEqual(t, published, int(took/every)+2, "%d changes in %v", burst, took)
	assert.Less(t, published, burst)
}

// A Home tab is not published for an event without a proper user, and a
// malformed one is refused before it reaches the handler.
func TestHomeIgnoresMalformedEvents(t *testing.T) {
	w := newWorld(t)
	for _, body := range []string{
		`{"type":"event_callback","event":{"type":"app_home_opened","tab":"home"}}`,
		`{"type":"event_callback","event":{"type":"app_home_opened","user":"<!channel>","tab":"home"}}`,
		`{"type":"event_callback","event":{"type":"app_home_opened","user":"U0ALICE","tab":"elsewhere"}}`,
		`{"type":"event_callback","event":{"type":"app_home_opened","user":{"id":"U0ALICE"},"tab":"home"}}`,
		`{"type":"event_callback","event":{"type":"app_home_opened","user":"U0ALICE","tab":7}}`,
	} {
		code, _ := do(t, signed(t, w.srv.URL+"/slack/events", body, time.Now()))
		assert.Contains(t, []int{http.StatusOK, http.StatusBadRequest}, code, body)
	}
	require.NoError(t, w.bot.Wait(t.Context()))
	assert.Zero(t, w.slack.Count(slacktest.Method("views.publish")), slacktest.Dump(w.slack.Calls()))
}

// What Home could not read is said in its list, with what to do; a long
// list shows its first requests with buttons and counts the rest, within
// Slack's 100 blocks of a view.
func TestHomeBlocksSayWhatFailedAndStayWithinLimits(t *testing.T) {
	b := New(answering{}, nil, Config{})
	failed, err := json.Marshal(b.homeBlocks("", nil, errors.New("could not read the open requests from NATS: nats: timeout"), nil, nil))
	require.NoError(t, err)
	assert.Contains(t, string(failed), "could not read the open requests from NATS: nats: timeout. Open Home again to try again.")
	assert.Contains(t, string(failed), "You asked for nothing in the last day.")

	var many []ops.Request
	for i := range 150 {
		many = append(many, ops.Request{ID: fmt.Sprintf("r-%06x", i), Op: "pipeline pause", Requester: alice, State: ops.Pending,
			Target: ops.Target{Kind: "pipeline", ID: "p-7d3f9a21"}, Origin: ops.Origin{Frontend: ops.FrontendConsole}})
	}
	blocks := b.homeBlocks("", many, nil, many[:homeRecent], nil)
	assert.LessOrEqual(t, len(blocks), 100)
	var raw strings.Builder
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(false) // as Slack reads it
	require.NoError(t, enc.Encode(blocks))
	assert.Contains(t, raw.String(), "…and 130 more: the `pending` command lists them all.")
	assert.Contains(t, raw.String(), "Asked by <@"+alice+"> from the console")
}

// A Home tab opened on one replica follows what another replica does: it
// learns of changes from the audit events on NATS, not from its own notices.
func TestHomeFollowsOtherReplicas(t *testing.T) {
	w := newWorld(t, homePolicy)
	other, srv := w.replica()
	conn, err := bus.Connect(context.Background(), bus.Config{URL: w.bus.ClientURL()}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	unwatch, err := conn.Events().Watch(func(e ops.Event) { other.RequestChanged(context.Background(), e) })
	require.NoError(t, err)
	t.Cleanup(func() { unwatch() })

	code, _ := do(t, signed(t, srv.URL+"/slack/events", string(w.homeEvent(bob, "home")), time.Now()))
	require.Equal(t, http.StatusOK, code)
	w.slack.WaitFor("bob's empty Home, from the other replica", homeOf(bob, `Nothing is waiting for you`))

	w.command(alice, "pipeline pause orders-etl") // on the first replica
	id, ts := w.card(`orders-etl`)
	w.slack.WaitFor("bob's Home with the new request", homeOf(bob, id))
	w.click(bob, "cancel", id, ts)
	w.slack.WaitFor("the card, cancelled", cardUpdate(ts, `Cancelled by <@`+bob+`>`))
	testwait.Until(t, func() bool {
		calls := w.slack.Calls()
		for i := len(calls) - 1; i >= 0; i-- {
			if homeOf(bob, "")(calls[i]) {
				return !strings.Contains(calls[i].Text(), id)
			}
		}
		return false
	}, func() string { return "bob's Home still lists " + id + ":\n" + slacktest.Dump(w.slack.Calls()) })
}
