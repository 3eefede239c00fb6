package slackbot

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slacktest"
)

// transport is one way Slack reaches the bot: what it sends and the JSON
// of the bot's ack (nil for an empty one).
type transport struct {
	name     string
	command  func(user, text, trigger string) map[string]any
	interact func(payload map[string]any) map[string]any
}

func builderTransports(t *testing.T, opts ...worldOption) map[string]func() (*world, transport) {
	return map[string]func() (*world, transport){
		"HTTP": func() (*world, transport) {
			w := newWorld(t, opts...)
			ackOf := func(path, body string) map[string]any {
				code, ack := do(t, signed(t, w.srv.URL+path, body, time.Now()))
				require.Equal(t, 200, code, ack)
				if ack == "" {
					return nil
				}
				var m map[string]any
				require.NoError(t, json.Unmarshal([]byte(ack), &m), ack)
				return m
			}
			return w, transport{
				command: func(user, text, trigger string) map[string]any {
					return ackOf("/slack/commands", w.commandBody(user, text, trigger))
				},
				interact: func(payload map[string]any) map[string]any {
					raw, err := json.Marshal(payload)
					require.NoError(t, err)
					return ackOf("/slack/interactions", url.Values{"payload": {string(raw)}}.Encode())
				},
			}
		},
		"Socket Mode": func() (*world, transport) {
			w := newWorld(t, opts...)
			s := w.socketMode()
			n := 0
			envelope := func(kind string, payload any) map[string]any {
				n++
				id := fmt.Sprintf("env-%d", n)
				s.send(map[string]any{"envelope_id": id, "type": kind, "accepts_response_payload": true, "payload": payload})
				answer, _ := s.ack(id)["payload"].(map[string]any)
				return answer
			}
			return w, transport{
				command: func(user, text, trigger string) map[string]any {
					form, err := url.ParseQuery(w.commandBody(user, text, trigger))
					require.NoError(t, err)
					payload := map[string]any{}
					for k := range form {
						payload[k] = form.Get(k)
					}
					return envelope("slash_commands", payload)
				},
				interact: func(payload map[string]any) map[string]any { return envelope("interactive", payload) },
			}
		},
	}
}

// pipelinesOnly lets alice request pipeline operations, and bob confirm them.
func pipelinesOnly(o *setup) {
	o.policy = []ops.Rule{{Name: "pipelines", Operations: []string{"pipeline *"}, Requesters: []string{alice}, Confirmers: []string{bob}}}
}

// view is a modal as Slack sends it back in a payload: its callback, its
// metadata and what was entered, by block and action.
func view(callback, metadata string, values map[string]map[string]any) map[string]any {
	return map[string]any{
		"id": "V0001", "type": "modal", "callback_id": callback, "private_metadata": metadata,
		"state": map[string]any{"values": values},
	}
}

func submission(user string, v map[string]any) map[string]any {
	return map[string]any{
		"type": "view_submission", "team": map[string]any{"id": "T0ACME"}, "api_app_id": "A0APP",
		"user": map[string]any{"id": user, "username": strings.ToLower(user), "team_id": "T0ACME"},
		"view": v, "trigger_id": "9.9.submit", "response_urls": []any{},
	}
}

func suggestion(user, metadata, typed string) map[string]any {
	return map[string]any{
		"type": "block_suggestion", "team": map[string]any{"id": "T0ACME"}, "api_app_id": "A0APP",
		"user":      map[string]any{"id": user, "team_id": "T0ACME"},
		"action_id": "target", "block_id": "target", "value": typed,
		"view": view(callbackBuild, metadata, map[string]map[string]any{}),
	}
}

func picked(value string) map[string]any {
	return map[string]any{"type": "static_select", "selected_option": map[string]any{"value": value, "text": map[string]any{"type": "plain_text", "text": value}}}
}

func targetPicked(value string) map[string]any {
	m := picked(value)
	m["type"] = "external_select"
	return m
}

// optionValues are the values of the options of a select element.
func optionValues(t *testing.T, options any) []string {
	list, ok := options.([]any)
	require.True(t, ok, "no options: %v", options)
	var values []string
	for _, o := range list {
		values = append(values, o.(map[string]any)["value"].(string))
	}
	return values
}

// An empty command (or `new`) opens the builder for the command's
// trigger_id, offering only the state-changing operations the policy lets
// the sender request in that channel; the command's ack says nothing.
func TestBuilderOpensOnAnEmptyCommand(t *testing.T) {
	for name, start := range builderTransports(t, pipelinesOnly) {
		t.Run(name, func(t *testing.T) {
			w, tr := start()
			for i, text := range []string{"", "new"} {
				trigger := fmt.Sprintf("7.%d.open", i)
				assert.Nil(t, tr.command(alice, text, trigger), "the ack shows nothing: the modal answers")
				c := w.slack.WaitFor("views.open for "+trigger, func(c slacktest.Call) bool {
					return c.Method == "views.open" && c.JSON["trigger_id"] == trigger
				})
				v := c.JSON["view"].(map[string]any)
				assert.Equal(t, callbackPick, v["callback_id"])
				assert.JSONEq(t, `{"channel":"`+channel+`"}`, v["private_metadata"].(string))
				el := v["blocks"].([]any)[0].(map[string]any)["element"].(map[string]any)
				assert.Equal(t, "static_select", el["type"])
				assert.Equal(t, []string{"pipeline pause", "pipeline start", "pipeline stop"}, optionValues(t, el["options"]))
			}
		})
	}
}

// Someone the policy lets request nothing in the channel gets no modal,
// but is told why, only to them.
func TestBuilderTellsWhoMayRequestNothing(t *testing.T) {
	w := newWorld(t, pipelinesOnly)
	_, _, trigger := w.command(bob, "")
	w.slack.WaitFor("the answer to bob", func(c slacktest.Call) bool {
		return c.Method == "response_url cmd-"+trigger && strings.Contains(c.Text(), "lets you request no operation in this channel")
	})
	require.NoError(t, w.bot.Wait(t.Context()))
	assert.Zero(t, w.slack.Count(slacktest.Method("views.open")))
}

// The target select is answered from block_suggestion with the configured
// aliases and what the provider lists that no alias stands for, matching
// what was typed in any case.
func TestBuilderSuggestsMatchingTargets(t *testing.T) {
	onlyOrders := func(o *setup) {
		o.rules.Targets = ops.Targets{"pipeline": {"orders-etl": "p-7d3f9a21"}, "job": {"orders-dr": jobID}}
	}
	for name, start := range builderTransports(t, onlyOrders) {
		t.Run(name, func(t *testing.T) {
			_, tr := start()
			meta := `{"channel":"` + channel + `","op":"pipeline pause"}`
			answer := tr.interact(suggestion(alice, meta, "ORDERS"))
			assert.Equal(t, []string{"orders-etl"}, optionValues(t, answer["options"]))

			answer = tr.interact(suggestion(alice, meta, "billing"))
			assert.Equal(t, []string{"p-1c2b3a45"}, optionValues(t, answer["options"]), "listed by the provider, by its name")
			text := answer["options"].([]any)[0].(map[string]any)["text"].(map[string]any)
			assert.Equal(t, "billing-agg (p-1c2b3a45), STOPPED", text["text"])

			answer = tr.interact(suggestion(alice, meta, ""))
			assert.Equal(t, []string{"orders-etl", "p-1c2b3a45"}, optionValues(t, answer["options"]), "nothing typed: all, aliases first")

			answer = tr.interact(suggestion(alice, `{"channel":"`+channel+`","op":"job switch"}`, "orders"))
			assert.Equal(t, []string{"orders-dr"}, optionValues(t, answer["options"]), "the job's alias only; the listed job is the same")
		})
	}
}

// Picking an operation shows its step: the target as an external select;
// submitting that makes the request the typed command would, with one card
// in the channel the builder was opened from.
func TestBuilderSubmissionMakesOneRequestAndCard(t *testing.T) {
	for name, start := range builderTransports(t, pipelinesOnly) {
		t.Run(name, func(t *testing.T) {
			w, tr := start()
			answer := tr.interact(submission(alice, view(callbackPick, `{"channel":"`+channel+`"}`,
				map[string]map[string]any{"op": {"op": picked("pipeline pause")}})))
			require.Equal(t, "update", answer["response_action"], "%v", answer)
			next := answer["view"].(map[string]any)
			assert.Equal(t, callbackBuild, next["callback_id"])
			meta := next["private_metadata"].(string)
			assert.JSONEq(t, `{"channel":"`+channel+`","op":"pipeline pause"}`, meta)
			var target map[string]any
			for _, b := range next["blocks"].([]any) {
				if b.(map[string]any)["block_id"] == "target" {
					target = b.(map[string]any)["element"].(map[string]any)
				}
			}
			require.NotNil(t, target, "no target block in %v", next)
			assert.Equal(t, "external_select", target["type"])

			answer = tr.interact(submission(alice, view(callbackBuild, meta,
				map[string]map[string]any{"target": {"target": targetPicked("orders-etl")}})))
			assert.Equal(t, "clear", answer["response_action"], "%v", answer)

			id, _ := w.card(`pipeline pause orders-etl`)
			require.NoError(t, w.bot.Wait(t.Context()))
			cards := w.slack.Count(func(c slacktest.Call) bool {
				return c.Method == "chat.postMessage" && c.Form.Get("thread_ts") == "" && c.Form.Get("channel") == channel
			})
			assert.Equal(t, 1, cards, "one card, in the builder's channel")
			pending, err := w.svc.Handle(t.Context(), ops.Input{Text: "pending", User: alice, Origin: ops.Origin{Frontend: ops.FrontendSlack, Channel: channel}})
			require.NoError(t, err)
			assert.Contains(t, pending.Text, id)
			assert.Equal(t, 1, strings.Count(pending.Text, "r-"), pending.Text)
			assert.Zero(t, w.enosPosts.Load(), "nothing is called before a confirmation")
		})
	}
}

// A submission the rules would refuse is answered in the modal, on the
// block at fault, and makes nothing.
func TestBuilderShowsErrorsInTheModal(t *testing.T) {
	for name, start := range builderTransports(t, pipelinesOnly) {
		t.Run(name, func(t *testing.T) {
			w, tr := start()
			meta := `{"channel":"` + channel + `","op":"pipeline pause"}`
			answer := tr.interact(submission(alice, view(callbackBuild, meta,
				map[string]map[string]any{"target": {"target": targetPicked("no-such-thing")}})))
			require.Equal(t, "errors", answer["response_action"], "%v", answer)
			assert.Contains(t, answer["errors"].(map[string]any)["target"], `unknown pipeline alias "no-such-thing"`)

			answer = tr.interact(submission(bob, view(callbackBuild, meta,
				map[string]map[string]any{"target": {"target": targetPicked("orders-etl")}})))
			require.Equal(t, "errors", answer["response_action"], "%v", answer)
			assert.Contains(t, answer["errors"].(map[string]any)["target"], "pipelines", "the refusal names its rule")

			answer = tr.interact(submission(alice, view(callbackPick, `{"channel":"`+channel+`"}`,
				map[string]map[string]any{"op": {"op": picked("pipeline show")}})))
			require.Equal(t, "errors", answer["response_action"], "a read is not built: %v", answer)
			assert.Contains(t, answer["errors"], "op")

			require.NoError(t, w.bot.Wait(t.Context()))
			assert.Zero(t, w.slack.Count(slacktest.Method("chat.postMessage")), "nothing was posted")
		})
	}
}

// Payloads that are not the builder's, or are broken, are acknowledged and
// make nothing: a suggestion answers no options, a submission an empty ack.
func TestBuilderMalformedPayloads(t *testing.T) {
	_, tr := builderTransports(t)["HTTP"]()
	for name, p := range map[string]map[string]any{
		"no view":                {"type": "block_suggestion", "user": map[string]any{"id": alice}, "action_id": "target", "value": "x"},
		"metadata not JSON":      suggestion(alice, "{", "x"),
		"no channel":             suggestion(alice, `{"op":"pipeline pause"}`, "x"),
		"unknown operation":      suggestion(alice, `{"channel":"C0","op":"rm -rf"}`, "x"),
		"operation without kind": suggestion(alice, `{"channel":"C0","op":"pending"}`, "x"),
		"another select": func() map[string]any {
			p := suggestion(alice, `{"channel":"C0","op":"pipeline pause"}`, "x")
			p["action_id"] = "other"
			return p
		}(),
	} {
		answer := tr.interact(p)
		assert.Equal(t, map[string]any{"options": []any{}}, answer, name)
	}
	for name, p := range map[string]map[string]any{
		"no view":           {"type": "view_submission", "user": map[string]any{"id": alice}},
		"metadata not JSON": submission(alice, view(callbackBuild, "]", nil)),
		"another modal":     submission(alice, view("someone-else", `{"channel":"C0"}`, nil)),
	} {
		assert.Nil(t, tr.interact(p), name)
	}
	answer := tr.interact(submission(alice, view(callbackBuild, `{"channel":"C0","op":"rm -rf"}`, nil)))
	assert.Equal(t, "errors", answer["response_action"], "an operation that is gone is said so in the modal")
	answer = tr.interact(submission(alice, view(callbackBuild, `{"channel":"C0","op":"pipeline pause"}`, nil)))
	assert.Contains(t, answer["errors"].(map[string]any)["target"], "which pipeline?", "no target picked")
}

// What only the provider can refuse is found after the modal closed (the
// answer must come within 3 s): the sender alone is told, in the channel.
func TestBuilderProviderRefusalComesEphemerally(t *testing.T) {
	for name, start := range builderTransports(t) {
		t.Run(name, func(t *testing.T) {
			w, tr := start()
			answer := tr.interact(submission(alice, view(callbackBuild, `{"channel":"`+channel+`","op":"job switch"}`,
				map[string]map[string]any{"target": {"target": targetPicked("j-0000missing")}})))
			assert.Equal(t, "clear", answer["response_action"], "%v", answer)
			told := w.slack.WaitFor("the refusal, to alice alone", func(c slacktest.Call) bool {
				return c.Method == "chat.postEphemeral" && c.Form.Get("user") == alice && c.Form.Get("channel") == channel
			})
			assert.Contains(t, told.Form.Get("text"), "could not read job j-0000missing")
			require.NoError(t, w.bot.Wait(t.Context()))
			assert.Zero(t, w.slack.Count(slacktest.Method("chat.postMessage")), "no card")
		})
	}
}

// A creation's step asks for the new resource's name and offers the
// templates; the fields make the command as it would be typed.
func TestBuilderCreationStep(t *testing.T) {
	spec := ops.Spec{Name: "job create", Named: true, Summary: "create a job", Params: []ops.Param{
		{Name: "template", Type: ops.ParamChoice, Values: []string{"kafka-dr", "rocketmq-dr"}},
		{Name: "description", Type: ops.ParamText},
		{Name: "sink", Type: ops.ParamAddresses},
	}}
	raw, err := json.Marshal(buildView(spec, builderState{Channel: channel, Op: spec.Name}))
	require.NoError(t, err)
	var v struct {
		Blocks []struct {
			BlockID  string         `json:"block_id"`
			Optional bool           `json:"optional"`
			Element  map[string]any `json:"element"`
		} `json:"blocks"`
	}
	require.NoError(t, json.Unmarshal(raw, &v))
	var ids []string
	for _, b := range v.Blocks[1:] {
		ids = append(ids, b.BlockID)
	}
	assert.Equal(t, []string{"name", "param-template", "param-description"}, ids, "no addresses are typed in")
	assert.Equal(t, []string{"kafka-dr", "rocketmq-dr"}, optionValues(t, v.Blocks[2].Element["options"]))
	assert.True(t, v.Blocks[3].Optional)

	var values map[string]map[string]slack.BlockAction
	require.NoError(t, json.Unmarshal([]byte(`{"name":{"name":{"type":"plain_text_input","value":" dr-2 "}},
		"param-template":{"template":{"type":"static_select","selected_option":{"value":"kafka-dr"}}},
		"param-description":{"description":{"type":"plain_text_input","value":"DR for \"orders\""}}}`), &values))
	assert.Equal(t, `job create dr-2 template=kafka-dr description='DR for "orders"'`, commandText(spec, values))
	assert.Equal(t, "param-template", errorBlock(spec, ops.InputErrorf(`unknown template "x". Known: kafka-dr`)), "shown under its field")
	assert.Equal(t, "param-description", errorBlock(spec, ops.InputErrorf(`description=: too long`)))
	assert.Equal(t, "name", errorBlock(spec, ops.InputErrorf(`what should it be called?`)), "else the first field")
}
