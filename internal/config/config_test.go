package config

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const minimal = `
console: {user: alice}
nats: {store_dir: /tmp/x}
enos: {endpoint: sandbox, org_id: o1, app_key: k, app_secret: s}
`

func noEnv(string) string { return "" }

func TestParseAppliesDefaults(t *testing.T) {
	c, err := Parse(strings.NewReader(minimal), noEnv)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8080", c.HTTP.Listen)
	assert.Equal(t, 10*time.Minute, c.Requests.Expiry)
	assert.Equal(t, "info", c.Log.Level)
	assert.Equal(t, "alice", c.Console.User)
}

func TestSecretsComeFromTheEnvironment(t *testing.T) {
	env := map[string]string{"ENOS_APP_SECRET": "from-env", "ENOS_APP_KEY": "key-env"}
	c, err := Parse(strings.NewReader(minimal), func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "from-env", c.EnOS.AppSecret)
	assert.Equal(t, "key-env", c.EnOS.AppKey)
}

func TestParseRejectsBadConfig(t *testing.T) {
	tests := map[string]struct {
		yaml string
		says []string
	}{
		"empty":             {"", []string{"the file is empty"}},
		"not yaml":          {"{{{", []string{"line 1"}},
		"a list":            {"- a\n- b", []string{"not a mapping of keys"}},
		"unknown key":       {minimal + "colour: blue\n", []string{`unknown key "colour"`}},
		"unknown nested":    {minimal + "http: {listne: x}\n", []string{`unknown key "listne"`}},
		"bad duration":      {minimal + "requests: {expiry: soon}\n", []string{`"soon" is not a duration`}},
		"expiry too short":  {minimal + "requests: {expiry: 1ms}\n", []string{"requests.expiry: 1ms is out of range"}},
		"bad listen":        {minimal + "http: {listen: nowhere}\n", []string{`http.listen: "nowhere" is not host:port`}},
		"bad port":          {minimal + "http: {listen: '127.0.0.1:99999'}\n", []string{"http.listen", "port must be a number"}},
		"bad level":         {minimal + "log: {level: loud}\n", []string{`log.level: "loud" is not a level`}},
		"no user":           {strings.Replace(minimal, "user: alice", "user: ''", 1), []string{"console.user: required"}},
		"no provider":       {"console: {user: a}\n", []string{"no provider is configured"}},
		"enos no org":       {strings.Replace(minimal, "org_id: o1", "org_id: ''", 1), []string{"enos.org_id"}},
		"bad alias":         {minimal + "targets: {pipelines: {'9lives': p-1}}\n", []string{"targets.pipelines.9lives: an alias starts with a letter"}},
		"bad target id":     {minimal + "targets: {pipelines: {orders: 'p 1'}}\n", []string{`targets.pipelines.orders: "p 1" is not a provider ID`}},
		"alias no provider": {minimal + "targets: {jobs: {dr: j-1}}\n", []string{"targets.jobs: aliases are set but the eg provider is not configured"}},
		"all at once": {strings.Replace(minimal, "user: alice", "user: ''", 1) + "log: {level: loud}\n",
			[]string{"console.user: required", "log.level"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.yaml), noEnv)
			require.Error(t, err)
			for _, s := range tt.says {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

func TestSecretsNeverAppearInErrors(t *testing.T) {
	env := map[string]string{"ENOS_APP_SECRET": "hunter2-very-secret"}
	_, err := Parse(strings.NewReader(minimal+"log: {level: loud}\nhttp: {listen: nowhere}\n"), func(k string) string { return env[k] })
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2")
}

func FuzzParse(f *testing.F) {
	f.Add(minimal)
	f.Add(minimal + "targets: {pipelines: {a: p-1}}\n")
	f.Add("requests: {expiry: 5m}\n")
	f.Add("- x")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(strings.NewReader(s), noEnv)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error message")
			}
			return
		}
		if c.Console.User == "" || (c.EnOS == nil && c.EG == nil) {
			t.Fatalf("accepted a config without a user or provider: %q", s)
		}
	})
}

// The decoder shortens long values in its messages; the key is still found.
func TestATypeErrorOnALongValueNamesItsKey(t *testing.T) {
	_, err := Parse(strings.NewReader(minimal+"requests: {check_interval: 1s, expiry: ten-minutes-please}\n"), noEnv)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `requests.expiry (line 5): "ten-min..." is not a duration`)
}

func TestListenAddressesOnDifferentInterfacesDoNotClash(t *testing.T) {
	_, err := Parse(strings.NewReader(minimal+"http: {listen: '10.0.0.1:4222'}\n"), noEnv)
	require.NoError(t, err, "nats listens on 127.0.0.1:4222, http on another address")
	_, err = Parse(strings.NewReader(minimal+"http: {listen: '127.0.0.1:0'}\nsandbox: {enos: {listen: '127.0.0.1:0'}}\n"), noEnv)
	require.NoError(t, err, "port 0 picks a free port each time")
	_, err = Parse(strings.NewReader(strings.Replace(minimal, "nats: {store_dir: /tmp/x}", "nats: {url: 'nats://n:4222'}", 1)+"http: {listen: ':4222'}\n"), noEnv)
	require.NoError(t, err, "with nats.url no NATS server listens here")
}
