package slackbot

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/sandbox/egsim"
	"github.com/streamops/streamops/internal/slacktest"
)

// optionTexts are the texts of the options of a select element, by value.
func optionTexts(t *testing.T, options any) map[string]string {
	t.Helper()
	list, ok := options.([]any)
	require.True(t, ok, "no options: %v", options)
	texts := map[string]string{}
	for _, o := range list {
		o := o.(map[string]any)
		texts[o["value"].(string)] = o["text"].(map[string]any)["text"].(string)
	}
	return texts
}

// buildMeta is the builder's second step's metadata for op.
func buildMeta(op string) string { return `{"channel":"` + channel + `","op":"` + op + `"}` }

// The target select offers a group to an operation that takes one, named
// with its members of the operation's kind, and matched by its name or
// theirs; a switch, which reads its job before its card, is offered none.
func TestBuilderSuggestsGroupsToOperationsThatTakeThem(t *testing.T) {
	for name, start := range builderTransports(t, ordersGroup) {
		t.Run(name, func(t *testing.T) {
			_, tr := start()
			answer := tr.interact(suggestion(alice, buildMeta("pipeline pause"), ""))
			assert.Equal(t, []string{"billing-agg", "orders-etl", "@orders", "p-9e8d7c6b"}, optionValues(t, answer["options"]),
				"the aliases, the group, then what EnOS lists that no alias stands for")
			assert.Equal(t, "@orders (3 pipelines: orders-etl, billing-agg, p-9e8d7c6b)", optionTexts(t, answer["options"])["@orders"])
			answer = tr.interact(suggestion(alice, buildMeta("pipeline pause"), "@"))
			assert.Equal(t, []string{"@orders"}, optionValues(t, answer["options"]))
			answer = tr.interact(suggestion(alice, buildMeta("pipeline pause"), "billing"))
			assert.Equal(t, []string{"billing-agg", "@orders"}, optionValues(t, answer["options"]), "a group is found by its members too")

			answer = tr.interact(suggestion(alice, buildMeta("job stop"), ""))
			assert.Equal(t, []string{"orders-dr", "@orders"}, optionValues(t, answer["options"]))
			assert.Equal(t, "@orders (1 job: orders-dr)", optionTexts(t, answer["options"])["@orders"], "its members of the operation's kind only")

			answer = tr.interact(suggestion(alice, buildMeta("job switch"), ""))
			assert.Equal(t, []string{"orders-dr"}, optionValues(t, answer["options"]), "a switch takes one job at a time")
			answer = tr.interact(suggestion(alice, buildMeta("job switch"), "@"))
			assert.Equal(t, map[string]any{"options": []any{}}, answer)
			answer = tr.interact(suggestion(alice, buildMeta("stream pause"), "@"))
			assert.Equal(t, map[string]any{"options": []any{}}, answer, "@orders holds no stream")
		})
	}
}

// A group picked in the builder makes the request the typed command
// would: one card listing each target and its call, and nothing called
// before a confirmation.
func TestBuilderSubmittingAGroupMakesOneGroupCard(t *testing.T) {
	for name, start := range builderTransports(t, ordersGroup) {
		t.Run(name, func(t *testing.T) {
			w, tr := start()
			answer := tr.interact(submission(alice, view(callbackPick, `{"channel":"`+channel+`"}`,
				map[string]map[string]any{"op": {"op": picked("pipeline pause")}})))
			require.Equal(t, "update", answer["response_action"], "%v", answer)
			assert.Equal(t, "Type an alias, ID, name or @group", targetElement(t, answer["view"])["placeholder"].(map[string]any)["text"])

			answer = tr.interact(submission(alice, view(callbackBuild, buildMeta("pipeline pause"),
				map[string]map[string]any{"target": {"target": targetPicked("@orders")}})))
			assert.Equal(t, "clear", answer["response_action"], "%v", answer)

			id, ts := w.card(`pipeline pause @orders \(3 pipelines\)`)
			posted := w.slack.WaitFor("the card", func(c slacktest.Call) bool { return c.TS == ts })
			card := strings.Join(texts(t, posted.Form.Get("blocks")), "\n")
			assert.Contains(t, card, "*Targets:* @orders (3 pipelines): orders-etl (p-7d3f9a21), billing-agg (p-1c2b3a45), p-9e8d7c6b")
			for _, target := range []string{"orders-etl (p-7d3f9a21): EnOS POST", "billing-agg (p-1c2b3a45): EnOS POST", "p-9e8d7c6b: EnOS POST"} {
				assert.Contains(t, card, target)
			}
			require.NoError(t, w.bot.Wait(t.Context()))
			cards := w.slack.Count(func(c slacktest.Call) bool {
				return c.Method == "chat.postMessage" && c.Form.Get("thread_ts") == "" && c.Form.Get("channel") == channel
			})
			assert.Equal(t, 1, cards, "one card for the group")
			r, err := w.bus.Requests().Get(t.Context(), id)
			require.NoError(t, err)
			assert.Equal(t, "orders", r.Group)
			assert.Len(t, r.Targets(), 3)
			assert.Zero(t, w.enosPosts.Load(), "nothing is called before a confirmation")
		})
	}
}

// A group the command cannot take is answered in the modal, under the
// target, as any other mistake is, and makes nothing.
func TestBuilderShowsGroupMistakesInTheModal(t *testing.T) {
	for name, start := range builderTransports(t, ordersGroup) {
		t.Run(name, func(t *testing.T) {
			w, tr := start()
			for _, c := range []struct{ op, target, want string }{
				{"pipeline pause", "@nosuch", "there is no target group @nosuch. Groups: @orders"},
				{"pipeline pause", "@", "there is no target group @. Groups: @orders"},
				{"pipeline pause", "@orders!", "there is no target group @orders!"},
				{"job switch", "@orders", "takes one job at a time, not a target group (@orders)"},
				{"stream pause", "@orders", "target group @orders has no stream for stream pause"},
			} {
				answer := tr.interact(submission(alice, view(callbackBuild, buildMeta(c.op),
					map[string]map[string]any{"target": {"target": targetPicked(c.target)}})))
				require.Equal(t, "errors", answer["response_action"], "%s %s: %v", c.op, c.target, answer)
				assert.Contains(t, answer["errors"].(map[string]any)["target"], c.want, "%s %s", c.op, c.target)
			}
			require.NoError(t, w.bot.Wait(t.Context()))
			assert.Zero(t, w.slack.Count(slacktest.Method("chat.postMessage")), "nothing was posted")
			assert.Zero(t, w.slack.Count(slacktest.Method("chat.postEphemeral")))
		})
	}
}

// shanghaiJob is run by the second EventGrid account.
const shanghaiJob = "5e1b7c2a-0d9e-4f7b-9a31-6c2d8e4f1a0b"

// twoAccounts adds a second EventGrid account, shanghai, running one job
// that no alias names.
func twoAccounts(o *setup) {
	o.shanghaiJobs = []egsim.Job{{ID: shanghaiJob, Name: "orders-dr-sh", Status: "RUNNING", SourceAddress: "10.8.0.5:9092", SinkAddress: "10.8.1.7:9092"}}
}

// A target of another account is offered as account/ID, its label naming
// the account; picking it makes a request on that account's target: the
// card reads it there and names the account's region, and the confirmed
// call goes to that account only.
func TestBuilderOffersAndBuildsAnotherAccountsTarget(t *testing.T) {
	w, tr := builderTransports(t, twoAccounts)["HTTP"]()
	answer := tr.interact(suggestion(alice, buildMeta("job switch"), ""))
	assert.Equal(t, []string{"orders-dr", "shanghai/" + shanghaiJob}, optionValues(t, answer["options"]),
		"the default account's job by its alias, shanghai's by account/ID")
	assert.Equal(t, "orders-dr-sh (shanghai/"+shanghaiJob+"), RUNNING", optionTexts(t, answer["options"])["shanghai/"+shanghaiJob])
	answer = tr.interact(suggestion(alice, buildMeta("job switch"), "shang"))
	assert.Equal(t, []string{"shanghai/" + shanghaiJob}, optionValues(t, answer["options"]), "found by its account")

	answer = tr.interact(submission(alice, view(callbackBuild, buildMeta("job switch"),
		map[string]map[string]any{"target": {"target": targetPicked("shanghai/" + shanghaiJob)}})))
	assert.Equal(t, "clear", answer["response_action"], "%v", answer)
	id, ts := w.card(`job switch shanghai/` + shanghaiJob) // named as it is typed
	blocks := w.slack.WaitFor("the card", func(c slacktest.Call) bool { return c.TS == ts }).Form.Get("blocks")
	assert.Contains(t, blocks, "account shanghai, region cn-east-3, project "+shanghaiProject)
	assert.Contains(t, blocks, "10.8.0.5:9092", "the new sink is shanghai's job's source")

	w.click(bob, "confirm", id, ts)
	w.slack.WaitFor("the outcome in the thread", threadReply(ts, `job ID `+shanghaiJob+`, request ID [0-9a-f-]{8,}`))
	assert.EqualValues(t, 1, w.shanghaiPosts.Load(), "the switch went to shanghai")
	assert.Zero(t, w.egPosts.Load(), "and not to the default account")
	job, ok := w.shanghai.Job(shanghaiJob)
	require.True(t, ok)
	assert.Equal(t, "10.8.0.5:9092", job.SinkAddress)
}

// targetElement is the target select of a view in an ack.
func targetElement(t *testing.T, v any) map[string]any {
	t.Helper()
	for _, b := range v.(map[string]any)["blocks"].([]any) {
		if b := b.(map[string]any); b["block_id"] == blockTarget {
			return b["element"].(map[string]any)
		}
	}
	require.Fail(t, "no target block", "%v", v)
	return nil
}
