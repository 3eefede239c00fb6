package slackbot

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/slacktest"
)

// The whole flow for an EnOS pipeline: command, card, confirm, the card
// updated in place and two replies in its thread.
func TestPipelinePauseFromCommandToThread(t *testing.T) {
	w := newWorld(t)
	code, ackText, trigger := w.command(alice, "pipeline pause orders-etl")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "Working on `pipeline pause orders-etl`…", ackText)

	id, ts := w.card(`orders-etl \(p-7d3f9a21\)`)
	posted := w.slack.WaitFor("the card", func(c slacktest.Call) bool { return c.TS == ts })
	assert.Equal(t, channel, posted.Form.Get("channel"))
	blocks := posted.Form.Get("blocks")
	for _, want := range []string{
		`"action_id":"confirm"`, `"action_id":"cancel"`, `"value":"` + id + `"`, `"style":"primary"`,
		`EnOS, org o-test`, `<@` + alice + `>`, `*Expires:*`,
	} {
		assert.Contains(t, blocks, want)
	}
	w.slack.WaitFor("the ephemeral line naming the request", slacktest.Containing("response_url cmd-"+trigger, `Request `+id+` is waiting for confirmation`))

	code, _ = w.click(bob, "confirm", id, ts)
	require.Equal(t, http.StatusOK, code)
	w.slack.WaitFor("the card showing the outcome", cardUpdate(ts, `Confirmed by <@`+bob+`>\. Paused pipeline orders-etl \(p-7d3f9a21\): job ID p-7d3f9a21, request ID [0-9a-f-]{8,}`))
	w.slack.WaitFor("the outcome in the thread", threadReply(ts, `^Confirmed by <@`+bob+`>|Paused pipeline orders-etl \(p-7d3f9a21\): job ID p-7d3f9a21, request ID [0-9a-f-]{8,}`))
	w.slack.WaitFor("the status follow-up in the thread", threadReply(ts, `pipeline orders-etl \(p-7d3f9a21\) is PAUSED after`))

	final := lastUpdate(t, w, ts)
	assert.NotContains(t, final, `"actions"`, "the buttons are gone once decided")
	assertRepliesInOrder(t, w, ts, `job ID p-7d3f9a21, request ID`, `is PAUSED after`)
	assert.EqualValues(t, 1, w.enosPosts.Load())
}

// The whole flow for an EventGrid job switch, whose card needs a read first.
func TestJobSwitchFromCommandToThread(t *testing.T) {
	w := newWorld(t)
	_, ackText, _ := w.command(alice, "job switch orders-dr sink=10.0.0.5:9092 now")
	assert.Equal(t, "Reading job orders-dr before making its card; the request ID follows.", ackText)

	id, ts := w.card(`orders-dr \(` + jobID + `\)`)
	posted := w.slack.WaitFor("the card", func(c slacktest.Call) bool { return c.TS == ts })
	blocks := posted.Form.Get("blocks")
	assert.Contains(t, blocks, `"style":"danger"`, "a switch is dangerous")
	assert.Contains(t, blocks, `"confirm":{"title"`, "with Slack's own confirm dialog")
	assert.Contains(t, blocks, `region cn-north-4, project `+projectID)

	w.click(bob, "confirm", id, ts)
	w.slack.WaitFor("the card showing the outcome", cardUpdate(ts, `Confirmed by <@`+bob+`>\.`))
	w.slack.WaitFor("the outcome in the thread", threadReply(ts, `job ID `+jobID+`, request ID [0-9a-f-]{8,}`))
	w.slack.WaitFor("the status follow-up in the thread", threadReply(ts, `after`))
	assertRepliesInOrder(t, w, ts, `job ID `+jobID, `after`)
	assert.EqualValues(t, 1, w.egPosts.Load())
}

func lastUpdate(t *testing.T, w *world, ts string) string {
	t.Helper()
	last := ""
	for _, c := range w.slack.Calls() {
		if c.Method == "chat.update" && c.Form.Get("ts") == ts {
			last = c.Form.Get("blocks")
		}
	}
	require.NotEmpty(t, last, "the card was never updated")
	var blocks []map[string]any
	require.NoError(t, json.Unmarshal([]byte(last), &blocks), "blocks are JSON")
	return last
}

// assertRepliesInOrder checks the thread's replies match patterns, in order.
func assertRepliesInOrder(t *testing.T, w *world, ts string, patterns ...string) {
	t.Helper()
	var replies []string
	for _, c := range w.slack.Calls() {
		if c.Method == "chat.postMessage" && c.Form.Get("thread_ts") == ts {
			replies = append(replies, c.Form.Get("text"))
		}
	}
	require.Len(t, replies, len(patterns), strings.Join(replies, "\n"))
	for i, p := range patterns {
		assert.Regexp(t, regexp.MustCompile(p), replies[i])
	}
}

// A Slack request confirmed from somewhere else (the console, another
// replica's service) and refused by the provider, so that no status
// follow-up comes: its card and thread still show the outcome.
func TestCardFollowsADecisionMadeElsewhere(t *testing.T) {
	w := newWorld(t)
	w.command(alice, "pipeline pause billing-agg")
	id, ts := w.card(`billing-agg`)
	_, err := w.svc.Confirm(context.Background(), id, bob)
	require.NoError(t, err)
	w.slack.WaitFor("the card showing the outcome", cardUpdate(ts, `Could not pause pipeline billing-agg \(p-1c2b3a45\): 61152`))
	w.slack.WaitFor("the outcome in the thread", threadReply(ts, `Could not pause pipeline billing-agg \(p-1c2b3a45\): 61152`))
}

// The cards a replica keeps in memory are bounded; one it has forgotten is
// still updated in place, where the store says it is.
func TestCardMemoryIsBounded(t *testing.T) {
	const bound = 2
	w := newWorld(t, func(o *setup) { o.bot.Cards = bound })
	w.command(alice, "pipeline pause orders-etl")
	first, ts := w.card(`pipeline pause orders-etl`)
	for _, text := range []string{"pipeline start billing-agg", "pipeline stop billing-agg", "job stop orders-dr", "pipeline stop orders-etl"} {
		w.command(alice, text)
		w.card(regexp.QuoteMeta(text))
		require.NoError(t, w.bot.Wait(t.Context()))
		assert.LessOrEqual(t, w.bot.cards.lru.Len(), bound)
	}
	assert.False(t, w.bot.cards.lru.Contains(first), "the first card was forgotten here")

	w.command(bob, "confirm "+first) // typed: no click says where the card is
	w.slack.WaitFor("the first card updated in place", cardUpdate(ts, `Paused pipeline orders-etl`))
	w.slack.WaitFor("the outcome in its thread", threadReply(ts, `job ID p-7d3f9a21, request ID`))
	assert.LessOrEqual(t, w.bot.cards.lru.Len(), bound)
}
