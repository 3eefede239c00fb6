package slackbot

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slacktest"
	"github.com/streamops/streamops/internal/testwait"
)

const (
	carol   = "U0CAROL"
	mallory = "U0MALLORY"
)

// withPolicy: pipelines may be asked for by anyone in the incident channel,
// and confirmed by @oncall only, never by whoever asked (two people).
func withPolicy(o *setup) {
	o.policy = []ops.Rule{
		{Name: "pipelines", Operations: []string{"pipeline *"}, Channels: []string{channel},
			Requesters: []string{"*"}, Confirmers: []string{"@oncall"}, TwoPerson: true},
		{Name: "jobs", Operations: []string{"job *"}, Requesters: []string{"@oncall"}, Confirmers: []string{"@oncall"}},
	}
	o.groups = map[string][]string{"oncall": {bob, carol}}
}

func TestPolicyInSlack(t *testing.T) {
	w := newWorld(t, withPolicy)

	// Asking for what the policy does not open to you: an ephemeral answer
	// naming the rule and who may, and no card.
	code, _, trigger := w.command(mallory, "job stop orders-dr")
	require.Equal(t, http.StatusOK, code)
	refused := w.slack.WaitFor("the refusal", slacktest.Containing("response_url cmd-"+trigger, `Refused by policy rule \W+jobs`))
	assert.Equal(t, "ephemeral", refused.JSON["response_type"])
	assert.Regexp(t, regexp.QuoteMeta(`<@U0MALLORY> may not ask for job stop in this channel. Who may: @oncall (<@U0BOB>, <@U0CAROL>). Nothing was done.`), refused.Text())

	// help shows each person what they may ask for.
	_, _, trigger = w.command(mallory, "help")
	help := w.slack.WaitFor("help", slacktest.Containing("response_url cmd-"+trigger, `Commands`))
	assert.Contains(t, help.Text(), "pipeline pause")
	assert.Regexp(t, `Not open to U0MALLORY in this channel under the policy: job create, job list, job show, job start, job stop, job switch`, help.Text())

	// Anyone may ask for a pipeline operation here.
	w.command(alice, "pipeline pause orders-etl")
	id, ts := w.card(`orders-etl \(p-7d3f9a21\)`)

	// Someone outside @oncall clicks confirm: refused, ephemerally.
	_, click := w.click(mallory, "confirm", id, ts)
	refused = w.slack.WaitFor("the refusal of the click", slacktest.Containing("response_url click-"+click, `Refused by policy rule \W+pipelines`))
	assert.Equal(t, "ephemeral", refused.JSON["response_type"])
	assert.Contains(t, refused.Text(), "<@"+mallory+"> may not confirm "+id+" (pipeline pause). Who may: @oncall (<@U0BOB>, <@U0CAROL>). Nothing was done; "+id+" is still pending.")
	assert.Zero(t, w.enosPosts.Load(), "a refusal calls nothing")
	assert.Zero(t, w.slack.Count(slacktest.Method("chat.update")), "and does not touch the card")

	// bob, in @oncall, confirms: carried out once.
	w.click(bob, "confirm", id, ts)
	w.slack.WaitFor("the outcome on the card", cardUpdate(ts, `Confirmed by <@`+bob+`>\. Paused pipeline orders-etl`))
	assert.EqualValues(t, 1, w.enosPosts.Load())

	// Two people: bob asks, bob may not confirm; carol may.
	w.command(bob, "pipeline start orders-etl")
	id2, ts2 := w.card(`Start|start`)
	_, click = w.click(bob, "confirm", id2, ts2)
	refused = w.slack.WaitFor("the two-person refusal", slacktest.Containing("response_url click-"+click, `it needs two people`))
	assert.Contains(t, refused.Text(), "Who may: @oncall (<@U0CAROL>)")
	w.click(carol, "confirm", id2, ts2)
	w.slack.WaitFor("the outcome on the card", cardUpdate(ts2, `Confirmed by <@`+carol+`>\.`))
	assert.EqualValues(t, 2, w.enosPosts.Load())

	// The groups were read from Slack once and cached for a few minutes.
	assert.Equal(t, 1, w.slack.Count(slacktest.Method("usergroups.list")))
	// After the cache's time, Slack is asked again and a change shows.
	w.slack.SetGroups(map[string][]string{"oncall": {carol}})
	w.clock.Advance(GroupCacheTTL + time.Second)
	_, _, trigger = w.command(bob, "job stop orders-dr")
	w.slack.WaitFor("bob, no longer on call, is refused", slacktest.Containing("response_url cmd-"+trigger, `Refused by policy rule \W+jobs\W+ <@U0BOB> may not`))
	assert.Equal(t, 2, w.slack.Count(slacktest.Method("usergroups.list")))
}

// 30 commands and clicks at once from members of the groups the policy
// names: Slack's user groups are read once, not once per check (Slack
// allows usergroups.list about 20 times a minute).
func TestPolicyChecksShareOneGroupRead(t *testing.T) {
	w := newWorld(t, withPolicy)
	var wg sync.WaitGroup
	for i := range 30 {
		user := []string{bob, carol}[i%2]
		text := []string{"help", "job stop orders-dr", "job show orders-dr"}[i%3]
		wg.Go(func() {
			code, _, _ := w.command(user, text)
			assert.Equal(t, http.StatusOK, code)
		})
	}
	wg.Wait()
	testwait.Until(t, func() bool {
		return w.slack.Count(slacktest.Containing("response_url cmd-", `Commands|Request r-|Job orders-dr`)) >= 30
	}, func() string { return "every command answered:\n" + slacktest.Dump(w.slack.Calls()) })
	assert.Zero(t, w.slack.Count(slacktest.Containing("response_url cmd-", `could not check|Refused`)))
	require.NoError(t, w.bot.Wait(t.Context()))
	lookups := w.slack.Count(func(c slacktest.Call) bool { return strings.HasPrefix(c.Method, "usergroups.") })
	assert.Equal(t, 1, lookups, "calls to Slack's usergroups methods")
}

// A policy naming groups the workspace does not have (the example policy on
// a new workspace): commands are not all failing; the missing group has no
// members, refusals say it does not exist, the log says so once, and
// Slack is asked once.
func TestPolicyWithGroupsSlackDoesNotHave(t *testing.T) {
	w := newWorld(t, func(o *setup) {
		o.policy = []ops.Rule{
			{Name: "reads", Operations: []string{"* show", "* list"}, Requesters: []string{"*"}, Confirmers: []string{"*"}},
			{Name: "operators", Operations: []string{"pipeline *", "job *"},
				Requesters: []string{"@oncall", alice}, Confirmers: []string{"@oncall", "@sre-leads", bob}},
		}
		o.groups = map[string][]string{}
	})
	// alice is named by ID: her request is taken, bob's confirmation too.
	w.command(alice, "pipeline pause orders-etl")
	id, ts := w.card(`orders-etl`)
	w.click(bob, "confirm", id, ts)
	w.slack.WaitFor("the outcome", threadReply(ts, `job ID p-7d3f9a21, request ID`))

	_, _, trigger := w.command(carol, "pipeline stop orders-etl")
	refusal := w.slack.WaitFor("carol's refusal", slacktest.Containing("response_url cmd-"+trigger, `Refused by policy rule`))
	assert.Contains(t, refusal.Text(), "Who may: @oncall (no such user group), <@U0ALICE>. Nothing was done.")
	for range 5 {
		_, _, trigger = w.command(carol, "help")
		w.slack.WaitFor("help", slacktest.Containing("response_url cmd-"+trigger, `Commands`))
	}
	require.NoError(t, w.bot.Wait(t.Context()))
	assert.Zero(t, w.slack.Count(slacktest.Containing("response_url cmd-", `could not check`)))
	assert.Equal(t, 1, w.slack.Count(slacktest.Method("usergroups.list")))
	for _, group := range []string{"@oncall", "@sre-leads"} {
		assert.Equal(t, 1, strings.Count(w.logs.String(), `does not have: nobody is in them, so the rules naming them let nobody through; create them in Slack or change the policy","groups":["`+group+`"]`),
			"logged once: %s\n%s", group, w.logs.String())
	}
}

// history lists the channel's requests in order, for an incident's timeline.
func TestHistoryInAChannel(t *testing.T) {
	w := newWorld(t)
	w.command(alice, "pipeline pause orders-etl")
	id, ts := w.card(`orders-etl \(p-7d3f9a21\)`)
	w.click(bob, "confirm", id, ts)
	w.slack.WaitFor("the status follow-up", threadReply(ts, `is PAUSED after`))

	_, _, trigger := w.command(alice, "history orders-etl")
	h := w.slack.WaitFor("the history", slacktest.Containing("response_url cmd-"+trigger, id))
	assert.Equal(t, "ephemeral", h.JSON["response_type"])
	assert.Regexp(t, `(?s)`+id+`  pending\s+pipeline pause orders-etl \(p-7d3f9a21\), asked by `+alice+` via slack.*`+
		id+`  executing .*, by `+bob+`.*`+id+`  succeeded .*Paused pipeline orders-etl.*`+id+`  checked .*is PAUSED after`, h.Text())

	_, _, trigger = w.command(alice, "history billing-agg")
	w.slack.WaitFor("an empty history", slacktest.Containing("response_url cmd-"+trigger, `No requests here in the last 7 days`))
}
