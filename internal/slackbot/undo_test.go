package slackbot

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slacktest"
)

// clicker sends button clicks over one transport and returns the trigger
// whose response_url ("click-"+trigger) answers the clicker.
type clicker func(user, action, id, ts string) (trigger string)

// transports are the ways Slack delivers a click, each to test alike.
func transports(w *world) map[string]func() clicker {
	return map[string]func() clicker{
		"HTTP": func() clicker {
			return func(user, action, id, ts string) string {
				code, trigger := w.click(user, action, id, ts)
				require.Equal(w.t, http.StatusOK, code)
				return trigger
			}
		},
		"Socket Mode": func() clicker {
			s := w.socketMode()
			return func(user, action, id, ts string) string {
				n := w.sent.Add(1)
				trigger := fmt.Sprintf("%d.%d.s%d", 3000+n, time.Now().UnixNano(), n)
				envelope := fmt.Sprintf("env-%d", n)
				s.send(map[string]any{"envelope_id": envelope, "type": "interactive", "accepts_response_payload": false,
					"payload": w.clickPayload(user, action, id, ts, trigger)})
				s.ack(envelope)
				return trigger
			}
		},
	}
}

// outcomeWithUndo waits for a card's outcome in its thread with its undo
// button, and returns the reply's ts.
func (w *world) outcomeWithUndo(cardTS, id string) string {
	w.t.Helper()
	reply := w.slack.WaitFor("the outcome with its undo button", func(c slacktest.Call) bool {
		return threadReply(cardTS, `.`)(c) && strings.Contains(c.Form.Get("blocks"), `"action_id":"undo","value":"`+id+`"`)
	})
	return reply.TS
}

// Undo after a pause: one click makes a new pending `pipeline start`, with
// its own card, asked for by whoever clicked; nothing is called until it
// is confirmed like any other.
func TestUndoAfterPauseIsANewPendingRequest(t *testing.T) {
	for name := range transports(&world{}) {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			click := transports(w)[name]()
			w.command(alice, "pipeline pause orders-etl")
			id, ts := w.card(`pipeline pause orders-etl`)
			click(bob, "confirm", id, ts)
			replyTS := w.outcomeWithUndo(ts, id)
			reply := w.slack.WaitFor("the reply", func(c slacktest.Call) bool { return c.TS == replyTS })
			assert.Contains(t, reply.Form.Get("blocks"), "Undo asks for `pipeline start orders-etl` as a new request")
			w.slack.WaitFor("the status follow-up", threadReply(ts, `is PAUSED after`))
			require.EqualValues(t, 1, w.enosPosts.Load())

			click(carol, "undo", id, replyTS)
			undoID, undoTS := w.card(`pipeline start orders-etl`)
			assert.NotEqual(t, id, undoID)
			require.NoError(t, w.bot.Wait(t.Context()))
			assert.EqualValues(t, 1, w.enosPosts.Load(), "nothing is called before a confirmation")
			r, err := w.bus.Requests().Get(t.Context(), undoID)
			require.NoError(t, err)
			assert.Equal(t, ops.Pending, r.State)
			assert.Equal(t, carol, r.Requester)
			assert.Equal(t, ops.Origin{Frontend: ops.FrontendSlack, Channel: channel, Message: undoTS}, r.Origin)
			assert.Equal(t, "undoes "+id+" (pipeline pause orders-etl (p-7d3f9a21))", r.Reason)

			click(bob, "confirm", undoID, undoTS)
			w.slack.WaitFor("the undo's status follow-up", threadReply(undoTS, `is RUNNING after`))
			assert.EqualValues(t, 2, w.enosPosts.Load())
		})
	}
}

// The undo of a switchover switches the job back: its sink is the job's
// source since the switch (its target before it).
func TestUndoOfSwitchSwitchesBack(t *testing.T) {
	w := newWorld(t)
	w.command(alice, "job switch orders-dr")
	id, ts := w.card(`job switch orders-dr`)
	w.click(bob, "confirm", id, ts)
	replyTS := w.outcomeWithUndo(ts, id)
	w.slack.WaitFor("the status follow-up", threadReply(ts, `has .* after`))

	w.click(alice, "undo", id, replyTS)
	undoID, _ := w.card(`sink=10\.0\.1\.7:9092`)
	require.NotEqual(t, id, undoID)
	r, err := w.bus.Requests().Get(t.Context(), undoID)
	require.NoError(t, err)
	assert.Equal(t, "job switch orders-dr sink=10.0.1.7:9092", r.Text)
	assert.Equal(t, &ops.Seen{Source: "10.0.1.7:9092", Target: "10.0.0.5:9092", Swap: true}, r.Seen)
	assert.EqualValues(t, 1, w.egPosts.Load())
}

// A failed or uncertain outcome offers no undo: what it did is not known
// to be done.
func TestNoUndoAfterFailureOrDoubt(t *testing.T) {
	w := newWorld(t, func(o *setup) { o.enosTimeout = 100 * time.Millisecond })
	w.command(alice, "pipeline pause billing-agg") // stopped: EnOS refuses
	id, ts := w.card(`pipeline pause billing-agg`)
	w.click(bob, "confirm", id, ts)
	failed := w.slack.WaitFor("the failure", threadReply(ts, `Could not pause`))
	assert.Empty(t, failed.Form.Get("blocks"))

	w.command(alice, "pipeline show orders-etl") // the token first, so the call itself times out
	w.slack.WaitFor("the read", slacktest.Containing("response_url cmd-", `RUNNING`))
	w.command(alice, "pipeline pause orders-etl")
	id, ts = w.card(`pipeline pause orders-etl`)
	w.hold()
	w.click(bob, "confirm", id, ts)
	uncertain := w.slack.WaitFor("the uncertain outcome", threadReply(ts, `Outcome uncertain`))
	assert.Empty(t, uncertain.Form.Get("blocks"))
	w.open()

	// A click on an undo of what did not succeed (an old button, a forged
	// payload) asks for nothing.
	_, trigger := w.click(carol, "undo", id, uncertain.TS)
	w.slack.WaitFor("the answer", slacktest.Containing("response_url click-"+trigger, regexp.QuoteMeta(id+" has nothing to undo")))
	_, trigger = w.click(carol, "undo", "r-<!channel>", uncertain.TS)
	w.slack.WaitFor("the answer to a forged value", slacktest.Containing("response_url click-"+trigger, `is not a request ID`))
	assert.Equal(t, 2, w.cards())
}

// An undo is asked for by whoever clicks, so the policy applies to them
// as to a typed command: someone it refuses gets the rule, and no card.
func TestUndoBySomeoneThePolicyRefuses(t *testing.T) {
	for name := range transports(&world{}) {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, withPolicy)
			click := transports(w)[name]()
			w.command(bob, "job stop orders-dr")
			id, ts := w.card(`job stop orders-dr`)
			click(carol, "confirm", id, ts)
			replyTS := w.outcomeWithUndo(ts, id)

			trigger := click(mallory, "undo", id, replyTS)
			refused := w.slack.WaitFor("the refusal", slacktest.Containing("response_url click-"+trigger, `Refused by policy rule \W+jobs`))
			assert.Equal(t, "ephemeral", refused.JSON["response_type"])
			assert.Contains(t, refused.Text(), "<@"+mallory+"> may not ask for job start in this channel. Who may: @oncall (<@U0BOB>, <@U0CAROL>). Nothing was done.")
			require.NoError(t, w.bot.Wait(t.Context()))
			assert.Equal(t, 1, w.cards())
		})
	}
}
