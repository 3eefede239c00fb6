package ops_test

import (
	"context"
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

// stagedTargets are the world's pipelines as a team with production and
// staging names them: orders-etl (p-100) is production, in the group
// @production; staging-etl (p-200) is staging; @mixed holds both; eu-etl
// lives in a second EnOS account, enos-eu.
var stagedTargets = ops.Directory{
	Aliases:  ops.Targets{"pipeline": {"orders-etl": "p-100", "staging-etl": "p-200", "eu-etl": "enos-eu/p-300"}},
	Groups:   map[string][]string{"production": {"pipeline:orders-etl"}, "mixed": {"pipeline:staging-etl", "pipeline:orders-etl"}},
	Accounts: map[string][]string{"pipeline": {ops.DefaultAccount, "enos-eu"}},
}

var stagedRules = []ops.Rule{
	// Production: only the lead asks; the lead or Bob confirms.
	{Name: "prod-pause", Operations: []string{"pipeline pause", "pipeline start"}, Targets: []string{"@production"},
		Requesters: []string{"U0LEAD"}, Confirmers: []string{"U0LEAD", "U0BOB"}},
	// The second account is the EU team's.
	{Name: "eu", Operations: []string{"pipeline *"}, Targets: []string{"pipeline:enos-eu/*"}, Requesters: []string{"U0EU"}, Confirmers: []string{"U0EU"}},
	// Staging, by alias or by ID: on-call (and the lead) ask and confirm.
	{Name: "staging", Operations: []string{"pipeline pause", "pipeline start"}, Targets: []string{"staging-*", "pipeline:p-2*"},
		Requesters: []string{"@oncall", "U0LEAD"}, Confirmers: []string{"@oncall"}},
	{Name: "reads", Operations: []string{"* show", "* list"}, Requesters: []string{"*"}, Confirmers: []string{"*"}},
}

// stagedBot is a bot under rules that name targets, on stagedTargets.
func stagedBot(t *testing.T, rules []ops.Rule) (*world, *bot) {
	t.Helper()
	w := newWorld(t)
	api := enos.New(w.url, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret})
	return w, w.startBot(t, w.bus, ops.Settings{
		Targets: stagedTargets.Aliases, Groups: stagedTargets.Groups, Accounts: stagedTargets.Accounts,
		CheckInterval: 10 * time.Millisecond,
	}, ops.Deps{
		Providers: []ops.Provider{pipelines.Accounts(pipelines.Account{Name: ops.DefaultAccount, API: api}, pipelines.Account{Name: "enos-eu", API: api})},
		Policy:    &ops.Policy{Rules: rules, Groups: oncall(), Commands: operations.Names(), Kinds: operations.Kinds(), Targets: stagedTargets},
	})
}

// The same person, the same operation: allowed on staging, refused on
// production by the rule that names production, which the refusal names.
func TestPolicyByTargetStagingAllowedProductionRefused(t *testing.T) {
	w, b := stagedBot(t, stagedRules)
	ctx := context.Background()

	reply, err := ask(b, "U0BOB", "C0OPS", "pipeline start staging-etl") // stopped, in the world
	require.NoError(t, err)
	assert.Equal(t, &ops.Confirmers{Rule: "staging", Who: []ops.Principal{{Group: "oncall", Members: []string{"U0BOB", "U0CAROL"}}}}, reply.Request.Confirmers,
		"a one-target request names its rule's confirmers, as before")
	done, err := b.svc.Confirm(ctx, reply.Request.ID, "U0CAROL")
	require.NoError(t, err)
	assert.Equal(t, ops.Succeeded, done.State)

	_, err = ask(b, "U0BOB", "C0OPS", "pipeline start orders-etl")
	assert.Equal(t, `Refused by policy rule "prod-pause": U0BOB may not ask for pipeline start on pipeline orders-etl in this channel. Who may: U0LEAD. Nothing was done.`, refusal(t, err))
	no := refusalOf(t, err)
	assert.Equal(t, ops.Refusal{Why: ops.NotRequester, Rule: "prod-pause", Operation: "pipeline start", Target: "pipeline orders-etl", User: "U0BOB", Channel: "C0OPS",
		Instead: []ops.Principal{{User: "U0LEAD"}}}, no)
	assert.EqualValues(t, 1, w.posts.Load(), "only the staging pause was called")
}

// A group matches its members however they are typed; an account pattern
// matches what lives in the account; a glob matches aliases and IDs.
func TestPolicyTargetPatterns(t *testing.T) {
	w, b := stagedBot(t, stagedRules)
	for _, tc := range []struct {
		name, user, text string
		refused          string // "" when allowed
	}{
		{"a group member by its ID", "U0BOB", "pipeline start p-100",
			`Refused by policy rule "prod-pause": U0BOB may not ask for pipeline start on pipeline orders-etl in this channel. Who may: U0LEAD. Nothing was done.`},
		{"a group member, its requester", "U0LEAD", "pipeline pause orders-etl", ""},
		{"an alias in the account", "U0BOB", "pipeline pause eu-etl",
			`Refused by policy rule "eu": U0BOB may not ask for pipeline pause on pipeline eu-etl in this channel. Who may: U0EU. Nothing was done.`},
		{"an ID in the account", "U0BOB", "pipeline stop enos-eu/p-999",
			`Refused by policy rule "eu": U0BOB may not ask for pipeline stop on pipeline enos-eu/p-999 in this channel. Who may: U0EU. Nothing was done.`},
		{"the account's own people", "U0EU", "pipeline stop eu-etl", ""},
		{"a glob on the alias", "U0CAROL", "pipeline start staging-etl", ""},
		{"a glob on the ID", "U0CAROL", "pipeline pause p-250", ""},
		{"a target no rule names", "U0CAROL", "pipeline pause p-555",
			`Refused: no policy rule covers pipeline pause on pipeline p-555 in this channel, so nobody may ask for it there. Nothing was done.`},
		{"an operation a rule covers on other targets", "U0CAROL", "pipeline stop orders-etl",
			`Refused: no policy rule covers pipeline stop on pipeline orders-etl in this channel, so nobody may ask for it there. Nothing was done.`},
		{"a command on no target, under a rule without targets", "U0CAROL", "pipeline list", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ask(b, tc.user, "C0OPS", tc.text)
			if tc.refused == "" {
				require.NoError(t, err)
				return
			}
			assert.Equal(t, tc.refused, refusal(t, err))
		})
	}
	assert.Zero(t, w.posts.Load(), "nothing was confirmed")
}

// A rule with targets never covers a command that takes none.
func TestPolicyRuleWithTargetsCoversNoCommandWithoutOne(t *testing.T) {
	_, b := stagedBot(t, []ops.Rule{{Name: "everything", Operations: []string{"*"}, Targets: []string{"*"}, Requesters: []string{"*"}, Confirmers: []string{"*"}}})
	_, err := ask(b, "U0BOB", "C0OPS", "pipeline pause orders-etl")
	require.NoError(t, err)
	_, err = ask(b, "U0BOB", "C0OPS", "pipeline list")
	assert.Equal(t, `Refused: no policy rule covers pipeline list in this channel, so nobody may ask for it there. Nothing was done.`, refusal(t, err))
}

// Confirming is decided per target too: the rule of the request's target
// names who may, and the refusal names the target.
func TestPolicyByTargetDecidesWhoMayConfirm(t *testing.T) {
	w, b := stagedBot(t, stagedRules)
	ctx := context.Background()
	reply, err := ask(b, "U0LEAD", "C0OPS", "pipeline pause orders-etl")
	require.NoError(t, err)
	id := reply.Request.ID
	_, err = b.svc.Confirm(ctx, id, "U0CAROL")
	assert.Equal(t, fmt.Sprintf(`Refused by policy rule "prod-pause": U0CAROL may not confirm %s (pipeline pause on pipeline orders-etl). Who may: U0LEAD, U0BOB. Nothing was done; %s is still pending.`, id, id),
		refusal(t, err))
	done, err := b.svc.Confirm(ctx, id, "U0BOB")
	require.NoError(t, err)
	assert.Equal(t, ops.Succeeded, done.State)
	assert.EqualValues(t, 1, w.posts.Load())
}

// A command on a group is asked for only if every member's rule lets the
// requester, and confirmed only by someone every one of those rules lets;
// the card names who.
func TestPolicyOnAGroupCommand(t *testing.T) {
	w, b := stagedBot(t, stagedRules)
	ctx := context.Background()

	// Carol is on call: staging's rule lets her, production's does not.
	_, err := ask(b, "U0CAROL", "C0OPS", "pipeline pause @mixed")
	assert.Equal(t, `Refused by policy rule "prod-pause": U0CAROL may not ask for pipeline pause on pipeline orders-etl in this channel. Who may: U0LEAD. Nothing was done.`,
		refusal(t, err))

	reply, err := ask(b, "U0LEAD", "C0OPS", "pipeline pause @mixed") // both rules name the lead
	require.NoError(t, err)
	r := *reply.Request
	require.Len(t, r.Targets(), 2)
	assert.Equal(t, &ops.Confirmers{Rule: "staging", Rules: []string{"staging", "prod-pause"}, Who: []ops.Principal{{User: "U0BOB"}}}, r.Confirmers,
		"on call, and a production confirmer: only Bob")

	_, err = b.svc.Confirm(ctx, r.ID, "U0CAROL")
	assert.Equal(t, fmt.Sprintf(`Refused by policy rule "prod-pause": U0CAROL may not confirm %s (pipeline pause on pipeline orders-etl). Who may: U0BOB. Nothing was done; %s is still pending.`, r.ID, r.ID),
		refusal(t, err))
	_, err = b.svc.Confirm(ctx, r.ID, "U0LEAD") // production's confirmer, not on call
	assert.Equal(t, fmt.Sprintf(`Refused by policy rule "staging": U0LEAD may not confirm %s (pipeline pause on pipeline staging-etl). Who may: U0BOB. Nothing was done; %s is still pending.`, r.ID, r.ID),
		refusal(t, err))
	_, err = b.svc.Cancel(ctx, r.ID, "U0CAROL")
	assert.Contains(t, refusal(t, err), "U0CAROL may not cancel "+r.ID)
	assert.Zero(t, w.posts.Load())

	done, err := b.svc.Confirm(ctx, r.ID, "U0BOB")
	require.NoError(t, err)
	assert.Equal(t, "U0BOB", done.DecidedBy)
	assert.Len(t, done.Outcomes, 2)
	assert.EqualValues(t, 2, w.posts.Load(), "one call per target")
}

// help lists an operation as open to a person when some rule lets them
// ask for it on some target.
func TestHelpUnderRulesWithTargets(t *testing.T) {
	_, b := stagedBot(t, stagedRules)
	reply, err := ask(b, "U0BOB", "C0OPS", "help")
	require.NoError(t, err)
	assert.Contains(t, reply.Text, "pipeline pause <pipeline>", "open on staging")
	assert.Contains(t, reply.Text, "Not open to U0BOB in this channel under the policy: pipeline stop")

	reply, err = ask(b, "U0EU", "C0OPS", "help")
	require.NoError(t, err)
	assert.Contains(t, reply.Text, "pipeline stop <pipeline>", "open in the EU account")

	reply, err = ask(b, "U0MALLORY", "C0OPS", "help")
	require.NoError(t, err)
	assert.Contains(t, reply.Text, "Not open to U0MALLORY in this channel under the policy: pipeline pause, pipeline start, pipeline stop")

	// A rule on every target of a kind decides them all: a later rule
	// cannot open the operation.
	_, b = stagedBot(t, []ops.Rule{
		stagedRules[3],
		{Name: "all-pipelines", Operations: []string{"pipeline pause"}, Targets: []string{"pipeline:*"}, Requesters: []string{"U0LEAD"}, Confirmers: []string{"U0LEAD"}},
		{Name: "anyone", Operations: []string{"pipeline pause"}, Requesters: []string{"*"}, Confirmers: []string{"*"}},
	})
	reply, err = ask(b, "U0BOB", "C0OPS", "help")
	require.NoError(t, err)
	assert.Contains(t, reply.Text, "Not open to U0BOB in this channel under the policy: pipeline pause, pipeline start, pipeline stop")
}

func TestPolicyValidateTargets(t *testing.T) {
	rule := func(ops_ string, targets ...string) ops.Rule {
		return ops.Rule{Name: "x", Operations: []string{ops_}, Targets: targets, Requesters: []string{"*"}, Confirmers: []string{"*"}}
	}
	for _, tc := range []struct {
		name string
		rule ops.Rule
		want string
	}{
		{"an empty pattern", rule("*", ""), `policy[0].targets: "" is not a target pattern: give @group, or [kind:][account/]name`},
		{"a bad glob", rule("*", "orders-["), `policy[0].targets: "orders-[" is not a target pattern`},
		{"two slashes", rule("*", "enos-eu/a/b"), `policy[0].targets: "enos-eu/a/b" is not a target pattern`},
		{"a list in one string", rule("*", "orders-*, billing"), `policy[0].targets: "orders-*, billing" is not a target pattern`},
		{"a kind that is none", rule("*", "jobs:prod-*"), `policy[0].targets: "jobs:prod-*": "jobs" is not a kind of target (pipeline, stream or job)`},
		{"a bad account name", rule("*", "EU/*"), `policy[0].targets: "EU/*": "EU" is not an account name`},
		{"a bad group name", rule("*", "@"), `policy[0].targets: "@" is not a target group's name`},
		{"nothing after the kind", rule("*", "job:"), `policy[0].targets: "job:" is not a target pattern`},
		{"no such group", rule("*", "@staging"), `policy[0].targets: there is no target group @staging. Groups: @mixed, @production`},
		{"no such account for the kind", rule("*", "pipeline:enos-us/*"), `policy[0].targets: "pipeline:enos-us/*": there is no account "enos-us" for pipelines: the accounts are default, enos-eu`},
		{"no such account for any kind", rule("pipeline *", "enos-us/*"), `policy[0].targets: "enos-us/*": there is no account "enos-us" for the targets of the rule's operations: the accounts are default, enos-eu`},
		{"a kind the operations do not take", rule("pipeline *", "job:orders-dr"), `policy[0].targets: "job:orders-dr" names a job, and none of the rule's operations acts on one (they act on: pipeline), so it never matches`},
		{"operations that take no target", rule("* list", "orders-*"), `policy[0].targets: none of the rule's operations (* list) acts on a target, and a rule with targets covers only commands on one`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := (&ops.Policy{Rules: []ops.Rule{tc.rule}, Commands: operations.Names(), Kinds: operations.Kinds(), Targets: stagedTargets}).Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	for _, good := range []string{"orders-*", "job:*", "enos-eu/*", "pipeline:default/p-1", "stream:clickstream", "@production", "*-etl", "p-?00"} {
		assert.NoError(t, (&ops.Policy{Rules: []ops.Rule{rule("*", good)}, Commands: operations.Names(), Kinds: operations.Kinds(), Targets: stagedTargets}).Validate(), good)
	}
}

// Warnings name the rules that can never decide anything though nothing
// in their own words is wrong; a policy without such rules has none.
func TestPolicyWarnings(t *testing.T) {
	rule := func(name string, operations []string, channels, targets []string) ops.Rule {
		return ops.Rule{Name: name, Operations: operations, Channels: channels, Targets: targets, Requesters: []string{"*"}, Confirmers: []string{"*"}}
	}
	warnings := func(rules ...ops.Rule) []string {
		p := &ops.Policy{Rules: rules, Commands: operations.Names(), Kinds: operations.Kinds(), Targets: stagedTargets}
		require.NoError(t, p.Validate())
		return p.Warnings()
	}
	pauses := []string{"pipeline pause"}
	for _, tc := range []struct {
		name  string
		rules []ops.Rule
		want  string // "" for none
	}{
		{"shadowed by a rule for everything", []ops.Rule{rule("all", []string{"*"}, nil, nil), rule("pauses", pauses, []string{"C0OPS"}, []string{"staging-*"})},
			`policy[1] ("pauses") never decides anything: policy[0] ("all") comes before it and covers every operation it names, in every channel, on every target. Move it up, or remove it`},
		{"shadowed by the same pattern", []ops.Rule{rule("a", []string{"pipeline *"}, nil, []string{"staging-*", "@production"}), rule("b", pauses, nil, []string{"@production"})},
			`policy[1] ("b") never decides anything: policy[0] ("a")`},
		{"shadowed by every target of the kind", []ops.Rule{rule("a", pauses, []string{"*"}, []string{"pipeline:*"}), rule("b", pauses, []string{"C0OPS"}, nil)},
			`policy[1] ("b") never decides anything: policy[0] ("a")`},
		{"shadowed by every target of every kind", []ops.Rule{rule("a", pauses, nil, []string{"*"}), rule("b", pauses, []string{"C0OPS"}, nil)},
			`policy[1] ("b") never decides anything: policy[0] ("a")`},
		{"shadowed by a glob over its name", []ops.Rule{rule("a", pauses, nil, []string{"staging-*"}), rule("b", pauses, nil, []string{"pipeline:staging-etl"})},
			`policy[1] ("b") never decides anything: policy[0] ("a")`},
		{"shadowed by a glob of the kind", []ops.Rule{rule("a", pauses, nil, []string{"pipeline:staging-*"}), rule("b", pauses, nil, []string{"staging-etl"})},
			`policy[1] ("b") never decides anything: policy[0] ("a")`},
		{"shadowed by the same glob", []ops.Rule{rule("a", pauses, nil, []string{"staging-*"}), rule("b", pauses, []string{"C0OPS"}, []string{"staging-*"})},
			`policy[1] ("b") never decides anything: policy[0] ("a")`},
		{"shadowed within the account", []ops.Rule{rule("a", pauses, nil, []string{"enos-eu/*"}), rule("b", pauses, nil, []string{"pipeline:enos-eu/p-3*"})},
			`policy[1] ("b") never decides anything: policy[0] ("a")`},
		{"a group with none of the operations' kinds", []ops.Rule{rule("jobs", []string{"job *"}, nil, []string{"@production", "job:prod-*"})},
			`policy[0].targets: @production holds no job, the kinds of target the rule's operations act on, so it matches nothing`},
		{"an earlier rule in fewer channels", []ops.Rule{rule("a", pauses, []string{"C0OPS"}, nil), rule("b", pauses, nil, nil)}, ""},
		{"an earlier rule on fewer targets", []ops.Rule{rule("a", pauses, nil, []string{"staging-*"}), rule("b", pauses, nil, nil)}, ""},
		{"an earlier rule on other targets", []ops.Rule{rule("a", pauses, nil, []string{"staging-*"}), rule("b", pauses, nil, []string{"@production"})}, ""},
		{"an earlier rule on other targets of the kind", []ops.Rule{rule("a", pauses, nil, []string{"staging-*"}), rule("b", pauses, nil, []string{"pipeline:orders-*"})}, ""},
		{"an earlier rule for fewer operations", []ops.Rule{rule("a", pauses, nil, nil), rule("b", []string{"pipeline *"}, nil, nil)}, ""},
		{"an earlier rule with targets, a later one for commands on none", []ops.Rule{rule("a", []string{"*"}, nil, []string{"*"}), rule("b", []string{"* list"}, nil, nil)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := warnings(tc.rules...)
			if tc.want == "" {
				assert.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			assert.Contains(t, got[0], tc.want)
		})
	}
	assert.Empty(t, warnings(stagedRules...))
	assert.Empty(t, warnings(testRules...), "the policy of the tests before targets")
}
