package operations

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/streamops/streamops/internal/ops"
)

func TestKnownCommandNamesTheMisspeltWordWithAHint(t *testing.T) {
	for _, ok := range []string{"pipeline pause x", "job switch j sink=1.2.3.4:9092 now", "stream pause s", "help", "pending", "history", `"" pause x`, "confirm r-1", "Pipeline Start x"} {
		assert.NoError(t, ops.KnownCommand(ok, All()), ok)
	}
	for text, want := range map[string]string{
		"pipline pause x":  "unknown command \"pipline\": type `help` to see what I can do; did you mean `pipeline pause`?",
		"pipeline paus x":  "did you mean `pipeline pause`?",
		"jbo switch j":     "did you mean `job switch`?",
		"reboot the world": "unknown command \"reboot\": type `help` to see what I can do",
		"job fly j":        "unknown command \"job fly\". With job you can: ",
	} {
		err := ops.KnownCommand(text, All())
		if assert.Error(t, err, text) {
			assert.Contains(t, err.Error(), want, text)
		}
	}
	assert.NotContains(t, ops.KnownCommand("reboot x", All()).Error(), "did you mean")
}

// The policy's command list is every provider's: a rule may name an
// operation of a provider the config leaves out.
func TestNamesListEveryCommand(t *testing.T) {
	assert.ElementsMatch(t, []string{
		"help", "pending", "history", "timeline",
		"pipeline pause", "pipeline start", "pipeline stop", "pipeline show", "pipeline list",
		"stream start", "stream pause", "stream show", "stream list",
		"job start", "job stop", "job switch", "job create", "job show", "job list",
	}, Names())
}

// Each spec is whole: a state-changing one says how it is called, worded
// and checked; a read-only one only reads.
func TestSpecsAreWhole(t *testing.T) {
	for _, s := range All() {
		assert.NotEmpty(t, s.Provider, s.Name)
		assert.NotEmpty(t, s.Summary, s.Name)
		if s.Changes() {
			assert.Nil(t, s.Read, s.Name)
			assert.NotNil(t, s.Call, s.Name)
			assert.NotNil(t, s.Done, s.Name)
			assert.NotNil(t, s.Verb, s.Name)
			assert.NotNil(t, s.Check, s.Name)
		} else {
			assert.NotNil(t, s.Read, s.Name)
			assert.Equal(t, ops.Routine, s.Risk, s.Name)
		}
	}
}
