package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
)

func runArgs(args ...string) (stdout, stderr string, err error) {
	var out, errs bytes.Buffer
	err = run(context.Background(), args, func(string) string { return "" }, nil, &out, &errs)
	return out.String(), errs.String(), err
}

func TestHelpPrintsTheCommandsAndSucceeds(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"-help"}} {
		stdout, stderr, err := runArgs(args...)
		require.NoError(t, err, args)
		for _, cmd := range []string{"serve", "check-config", "simulate", "audit", "version", "help", "--config"} {
			assert.Contains(t, stdout, "\n  "+cmd, args)
		}
		assert.Equal(t, 1, strings.Count(stdout, "usage:"), args)
		assert.Empty(t, stderr, args)
	}
}

// Each command's help is its own usage, printed once, with exit 0, however
// it is asked for; a bad flag is one error naming the flag, printed by main.
func TestEveryCommandHasOneUsageAndOneError(t *testing.T) {
	for _, cmd := range []string{"serve", "check-config", "simulate", "audit", "help", "version"} {
		want := "usage: bot " + cmd
		for _, args := range [][]string{{cmd, "-h"}, {cmd, "--help"}, {"help", cmd}} {
			stdout, stderr, err := runArgs(args...)
			require.NoError(t, err, args)
			assert.True(t, strings.HasPrefix(stdout, want), "%v printed %q", args, stdout)
			assert.Equal(t, 1, strings.Count(stdout, "usage:"), args)
			assert.Empty(t, stderr, args)
		}
		stdout, stderr, err := runArgs(cmd, "--colour")
		require.Error(t, err, cmd)
		assert.True(t, strings.HasPrefix(err.Error(), "flag provided but not defined: -colour\n"+want), "%s: %v", cmd, err)
		assert.Equal(t, 1, strings.Count(err.Error(), "usage:"), cmd)
		assert.Empty(t, stdout, cmd)
		assert.Empty(t, stderr, "%s: main prints the error, once", cmd)
	}
}

func TestHelpAndCommandMistakes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"help", "nosuch"}, `unknown command "nosuch"; bot help lists the commands`},
		{[]string{"nosuch"}, `unknown command "nosuch"; bot help lists the commands`},
		{[]string{"help", "audit", "serve"}, `unexpected argument "serve"`},
		{[]string{"version", "now"}, `unexpected argument "now"`},
		{[]string{"serve", "now"}, `unexpected argument "now"`},
		{[]string{"audit", "--since", "1x"}, `invalid value "1x" for flag -since: give a positive duration, like 30m, 24h or 720h`},
		{[]string{"audit", "--since", "-1h"}, `invalid value "-1h" for flag -since: give a positive duration`},
	} {
		stdout, stderr, err := runArgs(tc.args...)
		require.Error(t, err, tc.args)
		assert.Contains(t, err.Error(), tc.want, tc.args)
		assert.Equal(t, 1, strings.Count(err.Error(), tc.want), tc.args)
		assert.Empty(t, stdout, tc.args)
		assert.Empty(t, stderr, tc.args)
	}
}

func TestVersionPrintsWhatTheBuildSet(t *testing.T) {
	// go test sets no -ldflags, so these are the defaults `make build` replaces.
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		stdout, _, err := runArgs(args...)
		require.NoError(t, err, args)
		assert.Equal(t, "streamops dev (commit unknown)\n", stdout, args)
	}
}

// An audit of a target nobody configured is a mistake, not a quiet target.
func TestAuditOfAnUnknownTarget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(testConfig(t.TempDir(), "")), 0o600))

	stdout, _, err := runArgs("audit", "--config", path, "--target", "nosuch")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `--target "nosuch": no configured target has this alias or ID`)
	assert.Empty(t, stdout)

	stdout, stderr, err := runArgs("audit", "--config", path, "--target", "orders-etl")
	require.NoError(t, err)
	assert.Empty(t, stdout)
	assert.Equal(t, "no events on orders-etl in the last 24h\n", stderr)
}

// --target takes what a command takes: a group, or a configured target's
// alias or ID, after its account or not.
func TestAuditKnowsGroupsAndAccounts(t *testing.T) {
	dir := ops.Directory{
		Aliases:  ops.Targets{"job": {"orders-dr": "shanghai/j-1", "billing-dr": "j-2"}},
		Groups:   map[string][]string{"dr": {"job:orders-dr"}},
		Accounts: map[string][]string{"job": {"beijing", "shanghai"}},
	}
	for word, want := range map[string]bool{
		"@dr": true, "@nosuch": false, "dr": false,
		"orders-dr": true, "shanghai/j-1": true, "shanghai/orders-dr": true, "beijing/j-1": false,
		"j-2": true, "beijing/j-2": true, "tokyo/j-2": false, "j-3": false,
	} {
		assert.Equal(t, want, configuredTarget(dir, word), word)
	}
	ev := ops.Event{Target: ops.Target{Kind: "job", Alias: "orders-dr", ID: "j-1", Account: "shanghai"}}
	for word, want := range map[string]bool{"shanghai/j-1": true, "shanghai/orders-dr": true, "beijing/j-1": false, "j-1": true} {
		assert.Equal(t, want, ops.OnTarget(word)(ev), word)
	}
}
