package ops_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
)

func directory() ops.Directory {
	return ops.Directory{
		Aliases: ops.Targets{
			"job":      {"orders-dr": "shanghai/fac5", "audit-dr": "a-1"},
			"pipeline": {"orders-etl": "p-1"},
		},
		Groups: map[string][]string{
			"orders": {"pipeline:orders-etl", "job:orders-dr", "job:beijing/j-9"},
		},
		Accounts: map[string][]string{"job": {"beijing", "shanghai"}, "stream": {"beijing", "shanghai"}},
	}
}

func TestDirectoryResolvesAccounts(t *testing.T) {
	d := directory()
	for word, want := range map[string]ops.Target{
		"orders-dr":     {Kind: "job", Alias: "orders-dr", ID: "fac5", Account: "shanghai"},
		"shanghai/fac5": {Kind: "job", Alias: "orders-dr", ID: "fac5", Account: "shanghai"},
		"audit-dr":      {Kind: "job", Alias: "audit-dr", ID: "a-1", Account: "beijing"},
		"a-1":           {Kind: "job", Alias: "audit-dr", ID: "a-1", Account: "beijing"},
		"j-2":           {Kind: "job", ID: "j-2", Account: "beijing"},
		"shanghai/j-2":  {Kind: "job", ID: "j-2", Account: "shanghai"},
		"beijing/a-1":   {Kind: "job", Alias: "audit-dr", ID: "a-1", Account: "beijing"},
		"shanghai/a-1":  {Kind: "job", ID: "a-1", Account: "shanghai"},
		"fac5":          {Kind: "job", ID: "fac5", Account: "beijing"}, // the ID in the default account is another job
	} {
		got, err := d.Resolve("job", word)
		require.NoError(t, err, word)
		assert.Equal(t, want, got, word)
	}
	// An alias after its account names its target only in that account.
	got, err := d.Resolve("job", "shanghai/orders-dr")
	require.NoError(t, err)
	assert.Equal(t, ops.Target{Kind: "job", Alias: "orders-dr", ID: "fac5", Account: "shanghai"}, got)
	_, err = d.Resolve("job", "beijing/orders-dr")
	assert.ErrorContains(t, err, `unknown job alias "beijing/orders-dr"`)
	_, err = d.Resolve("pipeline", "bad/p-1")
	assert.EqualError(t, err, `"bad/p-1" is not a valid pipeline ID or alias: IDs are letters, digits, '-', '_' and '.'`, "with one account, no account is suggested")
	p, err := d.Resolve("pipeline", "orders-etl")
	require.NoError(t, err)
	assert.Equal(t, ops.Target{Kind: "pipeline", Alias: "orders-etl", ID: "p-1"}, p, "the default account is left out")
	assert.Equal(t, ops.DefaultAccount, p.Key().Account)

	for word, msg := range map[string]string{
		"tokyo/j-1":   `"tokyo/j-1" is not a valid job ID or alias: IDs are letters, digits, '-', '_' and '.'; before a '/' comes an account, and there is no account "tokyo" for jobs: the accounts are beijing, shanghai`,
		"default/j-1": `there is no account "default" for jobs`,
		"nosuch":      `unknown job alias "nosuch". Known: audit-dr, orders-dr`,
		"shanghai/x!": `"shanghai/x!" is not a valid job ID or alias`,
	} {
		_, err := d.Resolve("job", word)
		require.Error(t, err, word)
		assert.Contains(t, err.Error(), msg, word)
	}
}

func TestDirectoryGroups(t *testing.T) {
	d := directory()
	got, err := d.Group("orders")
	require.NoError(t, err)
	assert.Equal(t, []ops.Target{
		{Kind: "pipeline", Alias: "orders-etl", ID: "p-1"},
		{Kind: "job", Alias: "orders-dr", ID: "fac5", Account: "shanghai"},
		{Kind: "job", ID: "j-9", Account: "beijing"},
	}, got)
	_, err = d.Group("payments")
	assert.ErrorContains(t, err, "there is no target group @payments. Groups: @orders")
	_, err = ops.Directory{}.Group("payments")
	assert.ErrorContains(t, err, "none are configured (targets.groups)")
}

func TestDirectoryValidate(t *testing.T) {
	require.NoError(t, directory().Validate())
	d := directory()
	d.Groups = map[string][]string{
		"empty":  {},
		"9bad":   {"pipeline:orders-etl"},
		"broken": {"pipeline", "cluster:x-1", "job:tokyo/j-1", "pipeline:nosuch", "pipeline:orders-etl", "pipeline:p-1"},
	}
	d.Aliases["stream"] = map[string]string{"clicks": "tokyo/s-1"}
	d.Accounts["pipeline"] = []string{"Bad_Name"}
	err := d.Validate()
	require.Error(t, err)
	for _, msg := range []string{
		"targets.groups.empty: the group is empty",
		"targets.groups.9bad: a group name starts with a letter",
		`targets.groups.broken: member "pipeline" is not kind:name`,
		`targets.groups.broken: member "cluster:x-1": "cluster" is not a kind of target`,
		`targets.groups.broken: there is no account "tokyo" for jobs`,
		`targets.groups.broken: unknown pipeline alias "nosuch"`,
		`targets.groups.broken: "pipeline:orders-etl" and "pipeline:p-1" are the same pipeline p-1`,
		`targets.streams.clicks: there is no account "tokyo" for streams`,
		`account "Bad_Name" of pipelines: an account name is lower-case`,
	} {
		assert.Contains(t, err.Error(), msg)
	}
}
