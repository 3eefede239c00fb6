package ops_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/operations"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
)

// refusalOf is the value behind a refusal, which reads as its text.
func refusalOf(t *testing.T, err error) ops.Refusal {
	t.Helper()
	var no *ops.Refusal
	require.True(t, errors.As(err, &no), "want a refusal, got %v", err)
	assert.Equal(t, refusal(t, err), no.Error(), "the value words the text the person is shown")
	return *no
}

// Every kind of refusal carries the rule, the operation, who was refused
// and who could instead, as values.
func TestRefusalValues(t *testing.T) {
	w, b := policyBot(t, testRules, oncall())
	ctx := context.Background()
	oncallAll := ops.Principal{Group: "oncall", Members: []string{"U0BOB", "U0CAROL"}}

	_, err := ask(b, "U0MALLORY", "C0OTHER", "pipeline start orders-etl")
	assert.Equal(t, ops.Refusal{Why: ops.NoRule, Operation: "pipeline start", User: "U0MALLORY", Channel: "C0OTHER"}, refusalOf(t, err))

	_, err = ask(b, "U0MALLORY", "C0OPS", "pipeline stop orders-etl")
	assert.Equal(t, ops.Refusal{Why: ops.NotRequester, Rule: "stops", Operation: "pipeline stop", User: "U0MALLORY", Channel: "C0OPS",
		Instead: []ops.Principal{oncallAll}}, refusalOf(t, err))

	_, err = ask(b, "mallory", "", "pipeline pause orders-etl")
	assert.Equal(t, ops.Refusal{Why: ops.NotRequester, Rule: "console", Operation: "pipeline pause", User: "mallory",
		Instead: []ops.Principal{{User: "alice"}}}, refusalOf(t, err), "at the console: no channel")

	reply, err := ask(b, "U0MALLORY", "C0OPS", "pipeline pause orders-etl")
	require.NoError(t, err)
	id := reply.Request.ID
	_, err = b.svc.Confirm(ctx, id, "U0MALLORY")
	notConfirmer := ops.Refusal{Why: ops.NotConfirmer, Rule: "ops-channel", Operation: "pipeline pause", User: "U0MALLORY", Channel: "C0OPS", Request: id,
		Instead: []ops.Principal{{User: "U0LEAD"}, oncallAll}}
	assert.Equal(t, notConfirmer, refusalOf(t, err))
	_, err = b.svc.Cancel(ctx, id, "U0EVE")
	notConfirmer.User, notConfirmer.Cancel = "U0EVE", true
	assert.Equal(t, notConfirmer, refusalOf(t, err))

	reply, err = ask(b, "U0BOB", "C0OPS", "pipeline stop orders-etl")
	require.NoError(t, err)
	_, err = b.svc.Confirm(ctx, reply.Request.ID, "U0BOB")
	assert.Equal(t, ops.Refusal{Why: ops.TwoPeople, Rule: "stops", Operation: "pipeline stop", User: "U0BOB", Channel: "C0OPS", Request: reply.Request.ID,
		Instead: []ops.Principal{{Group: "oncall", Members: []string{"U0CAROL"}}}}, refusalOf(t, err), "the group less who asked")

	// The policy changed since the request was made (another replica, a
	// restart): no rule covers it any more.
	narrower := w.startBot(t, w.bus, ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}}, CheckInterval: 10 * time.Millisecond}, ops.Deps{
		Providers: []ops.Provider{pipelines.New(enos.New(w.url, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}))},
		Policy:    &ops.Policy{Rules: testRules[2:3], Groups: oncall(), Commands: operations.Names()},
	})
	_, err = narrower.svc.Cancel(ctx, id, "U0LEAD")
	assert.Equal(t, ops.Refusal{Why: ops.NoRule, Operation: "pipeline pause", User: "U0LEAD", Channel: "C0OPS", Request: id, Cancel: true}, refusalOf(t, err))
	assert.Zero(t, w.posts.Load())
}

// Who may instead: anyone, a group Slack does not have, a group with
// nobody left but the refused user.
func TestRefusalNamesWhoMayInstead(t *testing.T) {
	rules := []ops.Rule{
		{Name: "anyone-else", Operations: []string{"pipeline pause"}, Requesters: []string{"*"}, Confirmers: []string{"*"}, TwoPerson: true},
		{Name: "operators", Operations: []string{"pipeline *"}, Requesters: []string{"@oncall", "@solo", "alice", "U0BOB"}, Confirmers: []string{"*"}},
	}
	_, b := policyBot(t, rules, &fakeGroups{members: map[string][]string{"solo": {"U0BOB"}}})
	_, err := ask(b, "U0BOB", "C0OPS", "pipeline start orders-etl")
	require.NoError(t, err)
	_, err = ask(b, "U0MALLORY", "C0OPS", "pipeline start orders-etl")
	assert.Equal(t, []ops.Principal{{Group: "oncall", NoGroup: true}, {Group: "solo", Members: []string{"U0BOB"}}, {User: "alice"}, {User: "U0BOB"}},
		refusalOf(t, err).Instead)

	reply, err := ask(b, "U0BOB", "C0OPS", "pipeline pause orders-etl")
	require.NoError(t, err)
	_, err = b.svc.Confirm(context.Background(), reply.Request.ID, "U0BOB")
	no := refusalOf(t, err)
	assert.Equal(t, []ops.Principal{{Anyone: true}}, no.Instead)
	assert.Contains(t, no.Error(), "Who may: anyone.")
}

// A front end words a refusal its own way: every person in it goes
// through its user renderer, every other part through plain.
func TestRefusalWords(t *testing.T) {
	plain := func(s string) string { return s }
	user := func(u string) string { return "[" + u + "]" }
	instead := []ops.Principal{{User: "U0LEAD"}, {Group: "oncall", Members: []string{"U0BOB", "U0CAROL"}}, {Group: "sre", NoGroup: true}, {Group: "empty"}, {Anyone: true}}
	for _, tc := range []struct {
		no   ops.Refusal
		want string
	}{
		{ops.Refusal{Why: ops.NoRule, Operation: "job stop", User: "U0EVE", Channel: "C1"},
			`Refused: no policy rule covers job stop in this channel, so nobody may ask for it there. Nothing was done.`},
		{ops.Refusal{Why: ops.NoRule, Operation: "job stop", User: "U0EVE", Request: "r-000001"},
			`Refused: no policy rule covers job stop at the console any more, so nobody may confirm r-000001. Nothing was done; r-000001 is still pending.`},
		{ops.Refusal{Why: ops.NotRequester, Rule: "jobs", Operation: "job stop", User: "U0EVE", Channel: "C1", Instead: instead},
			`Refused by policy rule "jobs": [U0EVE] may not ask for job stop in this channel. Who may: [U0LEAD], @oncall ([U0BOB], [U0CAROL]), @sre (no such user group), @empty, anyone. Nothing was done.`},
		{ops.Refusal{Why: ops.NotConfirmer, Rule: "jobs", Operation: "job stop", User: "U0EVE", Channel: "C1", Request: "r-000001", Cancel: true},
			`Refused by policy rule "jobs": [U0EVE] may not cancel r-000001 (job stop). Who may: nobody else. Nothing was done; r-000001 is still pending.`},
		{ops.Refusal{Why: ops.TwoPeople, Rule: "jobs", Operation: "job stop", User: "U0EVE", Channel: "C1", Request: "r-000001", Instead: instead[:1]},
			`Refused by policy rule "jobs": it needs two people, and [U0EVE] asked for r-000001, so someone else must confirm it. Who may: [U0LEAD]. Nothing was done; r-000001 is still pending.`},
	} {
		assert.Equal(t, tc.want, tc.no.Words(plain, user))
	}
}

// Not found stays "not found" through every wrap, while its text is the
// one shown to people.
func TestNotFoundThroughWraps(t *testing.T) {
	_, b := policyBot(t, nil, nil)
	ctx := context.Background()
	for _, id := range []string{"r-0a0b0c", "not-an-id"} {
		_, err := b.svc.Lookup(ctx, id)
		require.ErrorIs(t, err, ops.ErrNotFound, id)
		var bad *ops.InputError
		require.ErrorAs(t, err, &bad, "shown to the person")
		assert.NotContains(t, bad.Error(), ops.ErrNotFound.Error(), "the text is the person's, not the sentinel's")
		assert.ErrorIs(t, fmt.Errorf("rule r1: %w", fmt.Errorf("lookup: %w", err)), ops.ErrNotFound)

		_, err = b.svc.Confirm(ctx, id, "U0BOB")
		assert.ErrorIs(t, err, ops.ErrNotFound, id)
	}
	_, err := b.svc.Confirm(ctx, "r-0a0b0c", "U0BOB")
	assert.EqualError(t, err, "there is no request r-0a0b0c: it may have been finished more than a week ago, or mistyped. `pending` lists the open ones")
}

// The front end is stored as the word it always was.
func TestFrontendIsStoredAsItsWord(t *testing.T) {
	for f, word := range map[ops.Frontend]string{ops.FrontendConsole: "console", ops.FrontendSlack: "slack", ops.FrontendNATS: "nats", ops.FrontendAlert: "alert"} {
		stored := fmt.Sprintf(`{"frontend":%q,"channel":"C0OPS"}`, word)
		data, err := json.Marshal(ops.Origin{Frontend: f, Channel: "C0OPS"})
		require.NoError(t, err)
		assert.JSONEq(t, stored, string(data))
		var o ops.Origin
		require.NoError(t, json.Unmarshal([]byte(stored), &o))
		assert.Equal(t, f, o.Frontend)
	}
}
