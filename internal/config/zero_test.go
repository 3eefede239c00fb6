package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const withEG = minimal + `eg:
  endpoint: sandbox
  region: cn-north-4
  project_id: p1
  auth: {mode: token, token: t}
`

// Every duration that takes a default refuses 0s, naming its key, rather
// than taking the default silently.
func TestEveryDefaultedDurationRefusesZero(t *testing.T) {
	files := map[string]string{
		"requests.expiry":         minimal + "requests: {expiry: 0s}\n",
		"requests.check_interval": minimal + "requests: {check_interval: 0s}\n",
		"requests.check_timeout":  minimal + "requests: {check_timeout: 0s}\n",
		"requests.abandon_after":  minimal + "requests: {abandon_after: 0s}\n",
		"requests.target_wait":    minimal + "requests: {target_wait: 0s}\n",
		"shutdown.timeout":        minimal + "shutdown: {timeout: 0s}\n",
		"audit.retention":         minimal + "audit: {retention: 0s}\n",
		"alerts.retention":        minimal + "alerts: {retention: 0s}\n",
		"alerts.update_every":     minimal + "alerts: {update_every: 0s}\n",
		"enos.timeout":            strings.Replace(minimal, "app_secret: s}", "app_secret: s, timeout: 0s}", 1),
		"eg.timeout":              withEG + "  timeout: 0s\n",
	}
	for _, d := range durationDefaults {
		yml, ok := files[d.key]
		require.True(t, ok, "no case for %s", d.key)
		t.Run(d.key, func(t *testing.T) {
			_, err := Parse(strings.NewReader(yml), noEnv)
			require.Error(t, err)
			assert.Contains(t, err.Error(), d.key+" (line ")
			assert.Contains(t, err.Error(), "0s is not a duration the bot can use: leave the key out for the default, "+d.def.String())
			assert.Equal(t, 1, strings.Count(err.Error(), d.key), "one message for %s: %v", d.key, err)
		})
	}
	assert.Len(t, files, len(durationDefaults))
}

// Left out, every defaulted duration takes the default the table gives.
func TestDurationsLeftOutTakeTheirDefaults(t *testing.T) {
	c, err := Parse(strings.NewReader(withEG), noEnv)
	require.NoError(t, err)
	for _, d := range durationDefaults {
		assert.Equal(t, d.def, *d.field(c), d.key)
	}
}

// The README's table of defaults says what the table applies.
func TestTheReadmeStatesEachDefault(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, section, found := strings.Cut(string(raw), "\n## Configuration\n")
	require.True(t, found, "the README has a Configuration section")
	section, _, _ = strings.Cut(section, "\n## ")
	said := map[string]time.Duration{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_.]+)` \\| `([0-9a-z]+)`").FindAllStringSubmatch(section, -1) {
		d, err := time.ParseDuration(m[2])
		require.NoError(t, err, "the README's default of %s", m[1])
		said[m[1]] = d
	}
	for _, d := range durationDefaults {
		if assert.Contains(t, said, d.key, "the README's Configuration section does not give the default of %s", d.key) {
			assert.Equal(t, d.def, said[d.key], "the README's default of %s", d.key)
		}
	}
	assert.Len(t, said, len(durationDefaults), "the README gives defaults the config does not apply")
}
