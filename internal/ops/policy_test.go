package ops_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/operations"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
)

// fakeGroups is Slack's user groups as the policy sees them.
type fakeGroups struct {
	mu      sync.Mutex
	members map[string][]string
	err     error
	asked   int
}

func (g *fakeGroups) Members(_ context.Context, handle string) ([]string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked++
	if g.err != nil {
		return nil, g.err
	}
	m, ok := g.members[handle]
	if !ok {
		return nil, fmt.Errorf("@%s: %w", handle, ops.ErrNoGroup)
	}
	return m, nil
}

// policyBot is a bot under the rules below, on a world with pipelines
// orders-etl (p-100) and billing (p-200).
func policyBot(t *testing.T, rules []ops.Rule, groups ops.Groups) (*world, *bot) {
	t.Helper()
	w := newWorld(t)
	return w, w.startBot(t, w.bus, ops.Settings{
		Targets:       ops.Targets{"pipeline": {"orders-etl": "p-100", "billing": "p-200"}},
		CheckInterval: 10 * time.Millisecond,
	}, ops.Deps{
		Providers: []ops.Provider{pipelines.New(enos.New(w.url, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}))},
		Policy:    &ops.Policy{Rules: rules, Groups: groups, Commands: operations.Names()},
	})
}

var testRules = []ops.Rule{
	// First match: stopping is for on-call only, and needs two people.
	{Name: "stops", Operations: []string{"pipeline stop"}, Requesters: []string{"@oncall"}, Confirmers: []string{"@oncall"}, TwoPerson: true},
	// Only in #ops (C0OPS): anyone may pause or start, leads confirm.
	{Name: "ops-channel", Operations: []string{"pipeline *"}, Channels: []string{"C0OPS"}, Requesters: []string{"*"}, Confirmers: []string{"U0LEAD", "@oncall"}},
	// Reads anywhere, for anyone.
	{Name: "reads", Operations: []string{"* show", "* list"}, Requesters: []string{"*"}, Confirmers: []string{"*"}},
	// The console user may pause and confirm at the console ("*" channels).
	{Name: "console", Operations: []string{"pipeline pause"}, Channels: []string{"*"}, Requesters: []string{"alice"}, Confirmers: []string{"alice"}},
}

// ID is no ID: these tests name groups by handle.
func (g *fakeGroups) ID(context.Context, string) string { return "" }

func oncall() *fakeGroups {
	return &fakeGroups{members: map[string][]string{"oncall": {"U0BOB", "U0CAROL"}}}
}

func ask(b *bot, user, channel, text string) (ops.Reply, error) {
	frontend := ops.FrontendSlack
	if channel == "" {
		frontend = ops.FrontendConsole
	}
	return b.svc.Handle(context.Background(), ops.Input{Text: text, User: user, Origin: ops.Origin{Frontend: frontend, Channel: channel}})
}

func refusal(t *testing.T, err error) string {
	t.Helper()
	var bad *ops.InputError
	require.True(t, errors.As(err, &bad), "want a refusal shown to the person, got %v", err)
	return bad.Msg
}

func TestPolicyDecidesWhoMayRequest(t *testing.T) {
	w, b := policyBot(t, testRules, oncall())
	for _, tc := range []struct {
		name, user, channel, text string
		refused                   string // "" when allowed
	}{
		{"group member, exact operation", "U0BOB", "C0ANY", "pipeline stop orders-etl", ""},
		{"not in the group", "U0MALLORY", "C0OPS", "pipeline stop orders-etl",
			`Refused by policy rule "stops": U0MALLORY may not ask for pipeline stop in this channel. Who may: @oncall (U0BOB, U0CAROL). Nothing was done.`},
		{"pattern and anyone, in its channel", "U0MALLORY", "C0OPS", "pipeline pause orders-etl", ""},
		{"pattern, another channel: no rule covers it", "U0MALLORY", "C0OTHER", "pipeline start orders-etl",
			`Refused: no policy rule covers pipeline start in this channel, so nobody may ask for it there. Nothing was done.`},
		{"reads for anyone anywhere", "U0MALLORY", "C0OTHER", "pipeline show orders-etl", ""},
		{"a later rule for any channel", "U0MALLORY", "C0OTHER", "pipeline pause orders-etl",
			`Refused by policy rule "console": U0MALLORY may not ask for pipeline pause in this channel. Who may: alice. Nothing was done.`},
		{"console user under the same policy", "alice", "", "pipeline pause orders-etl", ""},
		{"console user, uncovered operation", "alice", "", "pipeline start orders-etl",
			`Refused: no policy rule covers pipeline start at the console, so nobody may ask for it there. Nothing was done.`},
		{"someone else named at the console", "mallory", "", "pipeline pause orders-etl",
			`Refused by policy rule "console": mallory may not ask for pipeline pause at the console. Who may: alice. Nothing was done.`},
		{"help is free", "U0MALLORY", "C0OTHER", "help", ""},
		{"pending is free", "U0MALLORY", "C0OTHER", "pending", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reply, err := ask(b, tc.user, tc.channel, tc.text)
			if tc.refused == "" {
				require.NoError(t, err)
				return
			}
			assert.Equal(t, tc.refused, refusal(t, err))
			assert.Nil(t, reply.Request)
		})
	}
	open, err := b.svc.Pending(context.Background())
	require.NoError(t, err)
	assert.Len(t, open, 3, "only the allowed requests were made")
	assert.Zero(t, w.posts.Load(), "nothing was called")
}

func TestPolicyFirstMatchDecides(t *testing.T) {
	// The same operation in two rules: the first one wins even though the
	// second would allow U0MALLORY.
	rules := []ops.Rule{
		{Name: "strict", Operations: []string{"pipeline pause"}, Requesters: []string{"U0LEAD"}, Confirmers: []string{"U0LEAD"}},
		{Name: "lenient", Operations: []string{"*"}, Requesters: []string{"*"}, Confirmers: []string{"*"}},
	}
	_, b := policyBot(t, rules, nil)
	_, err := ask(b, "U0MALLORY", "C0OPS", "pipeline pause orders-etl")
	assert.Contains(t, refusal(t, err), `Refused by policy rule "strict"`)
	_, err = ask(b, "U0MALLORY", "C0OPS", "pipeline start orders-etl")
	require.NoError(t, err, "a later rule decides what the first does not cover")

	// In the other order, the lenient rule covers everything.
	_, b = policyBot(t, []ops.Rule{rules[1], rules[0]}, nil)
	_, err = ask(b, "U0MALLORY", "C0OPS", "pipeline pause orders-etl")
	require.NoError(t, err)
}

func TestPolicyDecidesWhoMayConfirm(t *testing.T) {
	w, b := policyBot(t, testRules, oncall())
	ctx := context.Background()
	reply, err := ask(b, "U0MALLORY", "C0OPS", "pipeline pause orders-etl")
	require.NoError(t, err)
	r := *reply.Request

	_, err = b.svc.Confirm(ctx, r.ID, "U0MALLORY")
	assert.Equal(t, fmt.Sprintf(`Refused by policy rule "ops-channel": U0MALLORY may not confirm %s (pipeline pause). Who may: U0LEAD, @oncall (U0BOB, U0CAROL). Nothing was done; %s is still pending.`, r.ID, r.ID), refusal(t, err))
	_, err = b.svc.Cancel(ctx, r.ID, "U0EVE")
	assert.Contains(t, refusal(t, err), "U0EVE may not cancel "+r.ID)
	stored, err := w.bus.Requests().Get(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, ops.Pending, stored.State, "a refusal changes nothing")
	assert.Zero(t, w.posts.Load())

	done, err := b.svc.Confirm(ctx, r.ID, "U0CAROL") // in @oncall
	require.NoError(t, err)
	assert.Equal(t, ops.Succeeded, done.State)
	assert.EqualValues(t, 1, w.posts.Load())

	// The requester may always cancel their own request.
	reply, err = ask(b, "U0MALLORY", "C0OPS", "pipeline start billing")
	require.NoError(t, err)
	cancelled, err := b.svc.Cancel(ctx, reply.Request.ID, "U0MALLORY")
	require.NoError(t, err)
	assert.Equal(t, ops.Cancelled, cancelled.State)
}

func TestPolicyTwoPerson(t *testing.T) {
	w, b := policyBot(t, testRules, oncall())
	ctx := context.Background()
	reply, err := ask(b, "U0BOB", "C0OPS", "pipeline stop orders-etl")
	require.NoError(t, err)
	id := reply.Request.ID

	_, err = b.svc.Confirm(ctx, id, "U0BOB")
	assert.Equal(t, fmt.Sprintf(`Refused by policy rule "stops": it needs two people, and U0BOB asked for %s, so someone else must confirm it. Who may: @oncall (U0CAROL). Nothing was done; %s is still pending.`, id, id), refusal(t, err))
	// The same refusal when typed at a front end: `confirm r-…`.
	_, err = b.svc.Handle(ctx, ops.Input{Text: "confirm " + id, User: "U0BOB", Origin: ops.Origin{Frontend: "slack", Channel: "C0OPS"}})
	assert.Contains(t, refusal(t, err), "it needs two people")
	assert.Zero(t, w.posts.Load())

	done, err := b.svc.Confirm(ctx, id, "U0CAROL")
	require.NoError(t, err)
	assert.Equal(t, ops.Succeeded, done.State)
	assert.Equal(t, "U0CAROL", done.DecidedBy)
}

func TestPolicyAutomatedRequestsNeedAnAllowedConfirmer(t *testing.T) {
	w, b := policyBot(t, testRules, oncall())
	ctx := context.Background()
	for _, frontend := range []ops.Frontend{ops.FrontendAlert, ops.FrontendNATS} {
		// The rule's name as requester is no person: it is not checked, but
		// the request is still covered by a rule and needs a confirmer.
		reply, err := b.svc.Handle(ctx, ops.Input{Text: "pipeline pause orders-etl", User: "rule-orders-lag", Origin: ops.Origin{Frontend: frontend, Channel: "C0OPS"}})
		require.NoError(t, err)
		id := reply.Request.ID
		_, err = b.svc.Confirm(ctx, id, "rule-orders-lag")
		assert.Contains(t, refusal(t, err), "may not confirm "+id)
		_, err = b.svc.Cancel(ctx, id, "U0MALLORY")
		assert.Contains(t, refusal(t, err), "U0MALLORY may not cancel "+id)
		_, err = b.svc.Confirm(ctx, id, "U0LEAD")
		require.NoError(t, err)
	}
	// The rule may withdraw its own request (its alert resolved).
	reply, err := b.svc.Handle(ctx, ops.Input{Text: "pipeline pause billing", User: "rule-orders-lag", Origin: ops.Origin{Frontend: "alert", Channel: "C0OPS"}})
	require.NoError(t, err)
	withdrawn, err := b.svc.Cancel(ctx, reply.Request.ID, "rule-orders-lag")
	require.NoError(t, err)
	assert.Equal(t, ops.Cancelled, withdrawn.State)
	_, err = b.svc.Handle(ctx, ops.Input{Text: "pipeline start orders-etl", User: "rule-x", Origin: ops.Origin{Frontend: "alert", Channel: "C0ELSEWHERE"}})
	assert.Contains(t, refusal(t, err), "no policy rule covers pipeline start")
	assert.EqualValues(t, 2, w.posts.Load())
}

func TestPolicyGroupLookupFailureRefusesSafely(t *testing.T) {
	g := oncall()
	w, b := policyBot(t, testRules, g)
	g.err = errors.New("slack: ratelimited")
	_, err := ask(b, "U0BOB", "C0OPS", "pipeline stop orders-etl")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `could not check policy rule "stops" for pipeline stop, so nothing was done`)
	assert.Contains(t, err.Error(), "ratelimited")
	assert.Zero(t, w.posts.Load())
}

// A group Slack does not have has no members: the rules naming it still
// work for everyone else they name, and a refusal says it is missing.
func TestPolicyGroupThatDoesNotExist(t *testing.T) {
	rules := []ops.Rule{{Name: "operators", Operations: []string{"pipeline *"},
		Requesters: []string{"@oncall", "alice"}, Confirmers: []string{"@sre-leads", "U0LEAD"}}}
	_, b := policyBot(t, rules, &fakeGroups{members: map[string][]string{}})
	reply, err := ask(b, "alice", "", "pipeline pause orders-etl")
	require.NoError(t, err)
	_, err = b.svc.Confirm(context.Background(), reply.Request.ID, "U0LEAD")
	require.NoError(t, err)

	_, err = ask(b, "U0BOB", "C0OPS", "pipeline start orders-etl")
	assert.Equal(t, `Refused by policy rule "operators": U0BOB may not ask for pipeline start in this channel. Who may: @oncall (no such user group), alice. Nothing was done.`, refusal(t, err))
	assert.ElementsMatch(t, []string{"oncall", "sre-leads"}, (&ops.Policy{Rules: rules}).GroupHandles())
}

func TestHelpShowsWhatEachUserMayRequest(t *testing.T) {
	_, b := policyBot(t, testRules, oncall())
	reply, err := ask(b, "U0MALLORY", "C0OTHER", "help")
	require.NoError(t, err)
	assert.Contains(t, reply.Text, "pipeline show <pipeline>")
	assert.NotContains(t, reply.Text, "pipeline pause <pipeline>")
	assert.Contains(t, reply.Text, "Not open to U0MALLORY in this channel under the policy: pipeline pause, pipeline start, pipeline stop")

	reply, err = ask(b, "U0BOB", "C0OPS", "help")
	require.NoError(t, err)
	for _, op := range []string{"pipeline pause", "pipeline start", "pipeline stop", "pipeline show"} {
		assert.Contains(t, reply.Text, op+" <pipeline>")
	}
	assert.NotContains(t, reply.Text, "Not open")

	reply, err = ask(b, "alice", "", "help")
	require.NoError(t, err)
	assert.Contains(t, reply.Text, "pipeline pause <pipeline>")
	assert.Contains(t, reply.Text, "Not open to alice at the console under the policy: pipeline start, pipeline stop")
}

func TestPolicyValidate(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		name string
		rule ops.Rule
		want string
	}{
		{"no name", ops.Rule{Operations: []string{"*"}, Requesters: []string{"*"}, Confirmers: []string{"*"}}, "policy[0].name: required"},
		{"unknown operation", ops.Rule{Name: "x", Operations: []string{"pipeline explode"}, Requesters: []string{"*"}, Confirmers: []string{"*"}}, `policy[0].operations: "pipeline explode" names no command`},
		{"bad pattern", ops.Rule{Name: "x", Operations: []string{"job ["}, Requesters: []string{"*"}, Confirmers: []string{"*"}}, `"job [" is not a valid pattern`},
		{"no confirmers", ops.Rule{Name: "x", Operations: []string{"*"}, Requesters: []string{"*"}}, "policy[0].confirmers: required"},
		{"a channel name, not ID", ops.Rule{Name: "x", Operations: []string{"*"}, Requesters: []string{"*"}, Confirmers: []string{"*"}, Channels: []string{"#ops"}}, `policy[0].channels: "#ops" is not a channel ID`},
		{"two person with one person", ops.Rule{Name: "x", Operations: []string{"*"}, Requesters: []string{"U1"}, Confirmers: []string{"U1"}, TwoPerson: true}, "nothing it covers could ever be confirmed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := (&ops.Policy{Rules: []ops.Rule{tc.rule}, Commands: operations.Names()}).Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			_, err = ops.New(settings(ops.Settings{}), ops.Deps{Store: w.bus.Requests(), Claims: w.bus.Claims(), Events: w.bus.Events(), Policy: &ops.Policy{Rules: []ops.Rule{tc.rule}, Commands: operations.Names()}})
			assert.Error(t, err, "the service refuses it too")
		})
	}
	dup := []ops.Rule{
		{Name: "x", Operations: []string{"*"}, Requesters: []string{"*"}, Confirmers: []string{"*"}},
		{Name: "x", Operations: []string{"*"}, Requesters: []string{"*"}, Confirmers: []string{"*"}},
	}
	assert.ErrorContains(t, (&ops.Policy{Rules: dup, Commands: operations.Names()}).Validate(), `policy[1].name: "x" is also the name of policy[0]`)
}
