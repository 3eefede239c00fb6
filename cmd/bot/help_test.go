package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHelpPrintsTheCommandsAndSucceeds(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"-help"}, {"serve", "--help"}, {"check-config", "-h"}} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, func(string) string { return "" }, nil, &stdout, &stderr)
		require.NoError(t, err, args)
		for _, cmd := range []string{"serve", "check-config", "simulate", "version", "help", "--config"} {
			assert.Contains(t, stdout.String(), "\n  "+cmd, args)
		}
		assert.Empty(t, stderr.String(), args)
	}
}

func TestVersionPrintsWhatTheBuildSet(t *testing.T) {
	var stdout bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"version"}, func(string) string { return "" }, nil, &stdout, &stdout))
	// go test sets no -ldflags, so these are the defaults `make build` replaces.
	assert.Equal(t, "streamops dev (commit unknown)\n", stdout.String())
}

func TestABadFlagShowsTheUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"serve", "--colour"}, func(string) string { return "" }, nil, &stdout, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "flag provided but not defined: -colour")
	assert.Contains(t, err.Error(), "usage: bot")
	assert.Empty(t, stdout.String())
	assert.Empty(t, stderr.String(), "main prints the error, once")
}
