package slackbot

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/sandbox/enossim"
	"github.com/streamops/streamops/internal/slacktest"
)

// ordersGroup is a world with the target group @orders: orders-etl (whose
// pause works), billing-agg (stopped: EnOS refuses its pause), p-9e8d7c6b
// (whose pause acts and is then answered with HTTP 500) and a job.
func ordersGroup(o *setup) {
	o.pipelines = []enossim.Pipeline{{ID: "p-9e8d7c6b", Name: "refunds", Status: "RUNNING"}}
	o.failAfterActing = "p-9e8d7c6b"
	o.rules.Groups = map[string][]string{
		"orders": {"pipeline:orders-etl", "pipeline:billing-agg", "job:orders-dr", "pipeline:p-9e8d7c6b"},
	}
}

// texts are the mrkdwn texts of a message's blocks.
func texts(t *testing.T, blocks string) []string {
	t.Helper()
	var bs []struct {
		Text *struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	require.NoError(t, json.Unmarshal([]byte(blocks), &bs), blocks)
	var out []string
	for _, b := range bs {
		if b.Text != nil {
			out = append(out, b.Text.Text)
		}
	}
	return out
}

// A command on a group: one card listing each target and its call, one
// click, and in the thread the outcomes with the uncertain and the failed
// apart from the done, then a status follow-up per target called.
func TestGroupCardListsEachCallAndTheThreadEachOutcome(t *testing.T) {
	w := newWorld(t, ordersGroup)
	w.command(alice, "pipeline pause @orders")
	id, ts := w.card(`pipeline pause @orders \(3 pipelines\)`)
	posted := w.slack.WaitFor("the card", func(c slacktest.Call) bool { return c.TS == ts })
	card := strings.Join(texts(t, posted.Form.Get("blocks")), "\n")
	for _, want := range []string{
		"*Targets:* @orders (3 pipelines): orders-etl (p-7d3f9a21), billing-agg (p-1c2b3a45), p-9e8d7c6b",
		"*Provider:* EnOS, org o-test",
		"*Calls*\n```" +
			"orders-etl (p-7d3f9a21): EnOS POST /streaming/v2.0/streaming/pipeline/p-7d3f9a21?action=pause&amp;orgId=o-test\n" +
			"billing-agg (p-1c2b3a45): EnOS POST /streaming/v2.0/streaming/pipeline/p-1c2b3a45?action=pause&amp;orgId=o-test\n" +
			"p-9e8d7c6b: EnOS POST /streaming/v2.0/streaming/pipeline/p-9e8d7c6b?action=pause&amp;orgId=o-test```",
		"*Not included:* job orders-dr (" + jobID + ") (not a pipeline): there is no `job pause`",
	} {
		assert.Contains(t, card, want)
	}

	w.click(bob, "confirm", id, ts)
	outcome := w.slack.WaitFor("the outcome in the thread", threadReply(ts, `Uncertain \(1 of 3\)`)).Form.Get("text")
	assert.Regexp(t, "^```Uncertain \\(1 of 3\\):\n"+
		"- Outcome uncertain: EnOS answered HTTP 500, so the call to pause pipeline p-9e8d7c6b may have taken effect\\. [^\n]*\n"+
		"Failed \\(1 of 3\\):\n"+
		"- Could not pause pipeline billing-agg \\(p-1c2b3a45\\): 61152[^\n]*\n"+
		"Done \\(1 of 3\\):\n"+
		"- Paused pipeline orders-etl \\(p-7d3f9a21\\): job ID p-7d3f9a21, request ID [^\n]*```$", outcome)
	w.slack.WaitFor("the card showing the outcome", cardUpdate(ts, `Confirmed by <@`+bob+`>\. Uncertain \(1 of 3\):`))
	w.slack.WaitFor("the follow-up of the uncertain one", threadReply(ts, `^pipeline p-9e8d7c6b is PAUSED after .*So the call did take effect\.$`))
	w.slack.WaitFor("the follow-up of the done one", threadReply(ts, `^pipeline orders-etl \(p-7d3f9a21\) is PAUSED after `))
	assert.EqualValues(t, 3, w.enosPosts.Load(), "one call per target")
	require.NoError(t, w.bot.Wait(t.Context()))
	for _, c := range w.slack.Calls() {
		assert.NotContains(t, c.Form.Get("blocks"), `"action_id":"undo"`, "no undo for several targets")
	}
	r, err := w.bus.Requests().Get(t.Context(), id)
	require.NoError(t, err)
	assert.EqualValues(t, "uncertain", r.State)
}
