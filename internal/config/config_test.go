package config

import (
	"path/filepath"
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

// Stream sizes are written as people write them; the audit stream's reaches
// the bus, for serve and audit alike.
func TestStreamSizes(t *testing.T) {
	c, err := Parse(strings.NewReader(minimal), noEnv)
	require.NoError(t, err)
	assert.Equal(t, int64(1<<30), c.NATS.AuditMaxBytes)
	assert.Equal(t, int64(256<<20), c.Alerts.Ingest().MaxBytes)

	c, err = Parse(strings.NewReader(minimal+"audit: {max_bytes: 512MiB}\nalerts: {max_bytes: 104857600}\n"), noEnv)
	require.NoError(t, err)
	assert.Equal(t, int64(512<<20), c.NATS.AuditMaxBytes)
	assert.Equal(t, int64(100<<20), c.Alerts.Ingest().MaxBytes)

	c, err = Parse(strings.NewReader(minimal+"audit: {max_bytes: 2 GB}\n"), noEnv)
	require.NoError(t, err)
	assert.Equal(t, int64(2_000_000_000), c.NATS.AuditMaxBytes)
}

func TestSecretsComeFromTheEnvironment(t *testing.T) {
	env := map[string]string{"ENOS_APP_SECRET": "from-env", "ENOS_APP_KEY": "key-env"}
	c, err := Parse(strings.NewReader(minimal), func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "from-env", c.EnOS.All[0].AppSecret)
	assert.Equal(t, "key-env", c.EnOS.All[0].AppKey)
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
		"string for a list": {minimal + "policy: [{name: a, operations: pause, requesters: ['*'], confirmers: ['*']}]\n",
			[]string{`policy[0].operations (line 5): "pause" is not a valid value here: write a list of strings`}},
		"list for a string":   {minimal + "http: {listen: [a]}\n", []string{"http.listen (line 5): a list is not a valid value here: write a string"}},
		"word for a bool":     {minimal + "policy: [{name: a, two_person: maybe}]\n", []string{`"maybe" is not a valid value here: write true or false`}},
		"word for a number":   {minimal + "alerts: {max_deliver: many}\n", []string{`"many" is not a valid value here: write a whole number`}},
		"list for a map":      {minimal + "targets: {pipelines: [a, b]}\n", []string{"targets.pipelines (line 5): a list is not a valid value here: write a mapping of names to strings"}},
		"map for a list":      {minimal + "policy: {name: a}\n", []string{"policy (line 5): a mapping is not a valid value here: write a list of mappings of keys"}},
		"list for a duration": {minimal + "requests: {expiry: [1]}\n", []string{"requests.expiry (line 5): a list is not a valid value here: write a duration like 30s"}},
		"tab indents":         {minimal + "requests:\n\texpiry: 1m\n", []string{"line 6, column 1: a tab character: YAML indents with spaces only"}},
		"tab after spaces":    {minimal + "requests:\n  \texpiry: 1m\n", []string{"line 6, column 3: a tab character"}},
		"tab after a dash":    {minimal + "policy:\n  -\tname: x\n", []string{"line 6, column 4: a tab character"}},
		"tab on a blank line": {minimal + "requests:\n  expiry: 1m\n\t\nlog: {level: info}\n", []string{"line 7, column 1: a tab character"}},
		"size not a size":     {minimal + "audit: {max_bytes: lots}\n", []string{`audit.max_bytes: "lots" is not a size: write it like 256MiB or 1GiB`}},
		"size zero":           {minimal + "alerts: {max_bytes: 0}\n", []string{`alerts.max_bytes: "0" is not a size`}},
		"size too small":      {minimal + "alerts: {max_bytes: 1MiB}\n", []string{"alerts.max_bytes: 1.0 MiB is out of range: give a size from 8.0 MiB to 1.0 TiB"}},
		"size too big":        {minimal + "audit: {max_bytes: 2TiB}\n", []string{"audit.max_bytes: 2.0 TiB is out of range"}},
		"size a list":         {minimal + "audit: {max_bytes: [1]}\n", []string{"audit.max_bytes (line 5): a list is not a valid value here: write a size like 256MiB or 1GiB"}},
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

// No error speaks Go: a person writing YAML does not know []string.
func TestTypeErrorsSpeakYAML(t *testing.T) {
	for _, tt := range []struct{ goType, yaml string }{
		{"[]string", "a list of strings"},
		{"map[string]string", "a mapping of names to strings"},
		{"[]config.PolicyRule", "a list of mappings of keys (see config.example.yaml)"},
		{"*enos.Config", "a mapping of keys (see config.example.yaml)"},
		{"time.Duration", "a duration like 30s, 10m or 1h"},
		{"[]time.Duration", "a list of durations like 30s"},
		{"int64", "a whole number"},
		{"uint16", "a whole number"},
		{"float64", "a number"},
		{"bool", "true or false"},
		{"map[string][]string", "a mapping of names to lists of strings"},
	} {
		assert.Equal(t, tt.yaml, yamlKind(tt.goType), tt.goType)
	}
	for _, bad := range []string{
		"policy: [{name: a, operations: pause}]", "targets: {pipelines: [a]}", "policy: {a: b}",
		"requests: {expiry: [1]}", "alerts: {max_deliver: many}", "policy: [{two_person: maybe}]",
	} {
		_, err := Parse(strings.NewReader(minimal+bad+"\n"), noEnv)
		require.Error(t, err, bad)
		assert.NotRegexp(t, `\[\]|map\[|config\.[A-Z]|time\.Duration|\bint\b|\bbool\b`, err.Error(), bad)
	}
}

// A missing file says what to do, not only what the system call said.
func TestLoadWithoutAFileSaysWhatToDo(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "config.yaml"), noEnv)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "config.yaml: copy config.example.yaml to ")
	assert.Contains(t, err.Error(), "or name your configuration file with --config FILE")
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
	f.Add(minimal + "requests:\n\texpiry: 1m\n")
	f.Add(minimal + "policy: [{name: a, operations: pause}]\n")
	f.Add(minimal + "targets: {pipelines: [a, b]}\n")
	f.Add(minimal + "eg: [{name: a, endpoint: sandbox, region: r, project_id: p, auth: {mode: token, token: t}, sandbox: {listen: ':0'}}]\n")
	f.Add(minimal + "targets: {jobs: {dr: {id: j-1, account: a}}, groups: {g: [job:a/j-2]}}\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(strings.NewReader(s), noEnv)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error message")
			}
			return
		}
		if c.Console.User == "" || (!c.EnOS.Configured() && !c.EG.Configured()) {
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
