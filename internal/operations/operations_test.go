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

// Each success that can be undone says how: pause and start undo each
// other, a stop is undone by a start, a switchover by switching back.
func TestReverses(t *testing.T) {
	on := func(kind string) ops.Request {
		return ops.Request{Target: ops.Target{Kind: kind, Alias: "orders", ID: "x-1"}}
	}
	want := map[string]string{
		"pipeline pause": "pipeline start orders", "pipeline start": "pipeline pause orders", "pipeline stop": "pipeline start orders",
		"stream pause": "stream start orders", "stream start": "stream pause orders",
		"job stop": "job start orders",
	}
	got := map[string]string{}
	for _, s := range All() {
		if s.Reverse == nil {
			continue
		}
		if cmd, ok := s.Reverse(on(s.Kind)); ok {
			got[s.Name] = cmd
		}
	}
	assert.Equal(t, want, got, "a switch without what it saw has no reverse")

	var sw ops.Spec
	for _, s := range All() {
		if s.Name == "job switch" {
			sw = s
		}
	}
	r := on("job")
	r.Flags = []string{"now"}
	r.Seen = &ops.Seen{Source: "10.0.0.5:9092", Target: "10.0.1.7:9092", Swap: true}
	cmd, ok := sw.Reverse(r)
	assert.True(t, ok)
	assert.Equal(t, "job switch orders sink=10.0.1.7:9092 now", cmd)
	assert.NoError(t, ops.KnownCommand(cmd, All()))
	r.Seen.Swap = false
	_, ok = sw.Reverse(r)
	assert.False(t, ok, "a switch that swapped nothing has nothing to undo")
}
