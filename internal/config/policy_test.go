package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const targetedPolicy = `
targets: {pipelines: {orders-etl: p-1, staging-etl: p-2}}
policy:
  - name: production
    operations: ["pipeline *"]
    targets: [orders-etl]
    requesters: [U0LEAD]
    confirmers: [U0LEAD]
  - name: staging
    operations: ["pipeline pause", "pipeline start"]
    targets: ["staging-*", "pipeline:default/p-2*"]
    requesters: ["@oncall"]
    confirmers: ["@oncall"]
`

// A rule's targets reach the product's rules as written.
func TestPolicyTargets(t *testing.T) {
	c, err := Parse(strings.NewReader(minimal+targetedPolicy), noEnv)
	require.NoError(t, err)
	rules := c.PolicyRules()
	assert.Equal(t, []string{"orders-etl"}, rules[0].Targets)
	assert.Equal(t, []string{"staging-*", "pipeline:default/p-2*"}, rules[1].Targets)
	assert.Empty(t, c.PolicyWarnings())
}

// Malformed patterns and rules that can never match stop the config,
// each naming its key; a rule an earlier one covers entirely is a warning.
func TestPolicyTargetsThatCannotWork(t *testing.T) {
	rule := func(operations, targets string) string {
		return "policy:\n  - {name: r, operations: " + operations + ", targets: " + targets + ", requesters: ['*'], confirmers: ['*']}\n"
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"a string, not a list", rule(`["*"]`, `"job:*"`), `policy[0].targets (line 6): "job:*" is not a valid value here: write a list of strings`},
		{"a malformed glob", rule(`["*"]`, `["orders-["]`), `policy[0].targets: "orders-[" is not a target pattern`},
		{"no such kind", rule(`["*"]`, `["pipelines:orders-etl"]`), `policy[0].targets: "pipelines:orders-etl": "pipelines" is not a kind of target`},
		{"no such group", rule(`["*"]`, `["@production"]`), `policy[0].targets: there is no target group @production: none are configured (targets.groups)`},
		{"no such account", rule(`["*"]`, `["pipeline:enos-eu/*"]`), `policy[0].targets: "pipeline:enos-eu/*": there is no account "enos-eu" for pipelines: the accounts are default`},
		{"a kind the operations do not take", rule(`["pipeline *"]`, `["stream:*"]`), `policy[0].targets: "stream:*" names a stream, and none of the rule's operations acts on one`},
		{"operations that take no target", rule(`["pipeline list"]`, `["*"]`), `policy[0].targets: none of the rule's operations (pipeline list) acts on a target`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(minimal+tc.yaml), noEnv)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}

	c, err := Parse(strings.NewReader(minimal+targetedPolicy+`
  - name: staging-again
    operations: ["pipeline pause"]
    targets: ["staging-*"]
    requesters: ["*"]
    confirmers: ["*"]
`), noEnv)
	require.NoError(t, err, "a rule that never decides is no error: configs with one loaded before")
	assert.Equal(t, []string{`policy[2] ("staging-again") never decides anything: policy[1] ("staging") comes before it and covers every operation it names, in every channel, on every target. Move it up, or remove it`},
		c.PolicyWarnings())
}

// The policy is checked with the config's targets: its groups and accounts.
func TestPolicyIsCheckedWithTheConfigsTargets(t *testing.T) {
	c, err := Parse(strings.NewReader(minimal+targetedPolicy), noEnv)
	require.NoError(t, err)
	p := c.policyToCheck()
	assert.Equal(t, c.Directory(), p.Targets)
	assert.Equal(t, "pipeline", p.Kinds["pipeline pause"])
	assert.Equal(t, "job", p.Kinds["job create"], "a command that names a new job acts on a job")
	assert.NotContains(t, p.Kinds, "pipeline list")
	assert.Contains(t, p.Commands, "pipeline list")
}

// Patterns are checked against the config's accounts and groups: the
// example's two EventGrid regions and its groups.
func TestPolicyTargetsNameTheConfigsAccountsAndGroups(t *testing.T) {
	c, err := Load("../../config.example.yaml", noEnv)
	require.NoError(t, err)
	assert.Empty(t, c.PolicyWarnings(), "the example's rules each decide something")

	rule := func(targets ...string) []PolicyRule {
		return []PolicyRule{{Name: "r", Operations: []string{"*"}, Targets: targets, Requesters: []string{"*"}, Confirmers: []string{"*"}}}
	}
	c.Policy = rule("shanghai/*", "job:beijing/billing-*", "stream:beijing/clickstream", "@checkout", "@production")
	require.NoError(t, c.Validate())
	c.Policy = rule("job:tokyo/*", "@staging")
	err = c.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `policy[0].targets: "job:tokyo/*": there is no account "tokyo" for jobs: the accounts are beijing, shanghai`)
	assert.Contains(t, err.Error(), `policy[0].targets: there is no target group @staging. Groups: @checkout, @orders, @production`)
}
