package ops

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestKnownCommandNamesTheMisspeltWordWithAHint(t *testing.T) {
	for _, ok := range []string{"pipeline pause x", "job switch j sink=1.2.3.4:9092 now", "stream pause s", "help", "pending", "history", `"" pause x`, "confirm r-1", "Pipeline Start x"} {
		assert.NoError(t, KnownCommand(ok), ok)
	}
	for text, want := range map[string]string{
		"pipline pause x":  "unknown command \"pipline\": type `help` to see what I can do; did you mean `pipeline pause`?",
		"pipeline paus x":  "did you mean `pipeline pause`?",
		"jbo switch j":     "did you mean `job switch`?",
		"reboot the world": "unknown command \"reboot\": type `help` to see what I can do",
		"job fly j":        "unknown command \"job fly\". With job you can: ",
	} {
		err := KnownCommand(text)
		if assert.Error(t, err, text) {
			assert.Contains(t, err.Error(), want, text)
		}
	}
	assert.NotContains(t, KnownCommand("reboot x").Error(), "did you mean")
	assert.Equal(t, 0, editDistance("pause", "pause"))
	assert.Equal(t, 2, editDistance("pasue", "pause"))
	assert.Equal(t, 3, editDistance("", "abc"))
}
