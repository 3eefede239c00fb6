package config

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/eg"
	"github.com/streamops/streamops/internal/ops"
)

// twoRegions has two EventGrid accounts and two EnOS organisations, each
// with its own simulator seed, aliases in both, and groups.
const twoRegions = `
console: {user: alice}
nats: {store_dir: /tmp/x}
enos:
  - name: eu-1
    endpoint: sandbox
    org_id: o-eu
    app_key: k-eu
    sandbox: {pipelines: [{id: p-1, name: orders-etl, status: RUNNING}]}
  - name: cn-1
    endpoint: https://apim.example.com
    org_id: o-cn
    app_key: k-cn
    app_secret: s-cn
    timeout: 40s
eg:
  - name: beijing
    endpoint: sandbox
    region: cn-north-4
    project_id: p-beijing
    auth: {mode: token}
    operations: {stop: STOP}
    sandbox:
      listen: 127.0.0.1:9082
      streams: [{id: s-1, name: clickstream}]
  - name: shanghai
    endpoint: sandbox
    region: cn-east-3
    project_id: p-shanghai
    auth: {mode: password, domain: d, user: u}
    operations: {switch: SWITCH}
    sandbox:
      listen: 127.0.0.1:9083
      jobs: [{id: j-1, name: orders-dr, source_address: "10.0.0.5:9092", sink_address: "10.0.1.7:9092"}]
targets:
  pipelines:
    orders-etl: p-1
    billing-agg: {id: p-2, account: cn-1}
  streams:
    clickstream: s-1
  jobs:
    orders-dr: {id: j-1, account: shanghai}
  groups:
    orders: [pipeline:orders-etl, pipeline:billing-agg]
    dr: [job:orders-dr, stream:clickstream, stream:beijing/s-9]
`

var twoRegionsEnv = map[string]string{
	"ENOS_EU_1_APP_SECRET": "s-eu", "EG_BEIJING_TOKEN": "t-beijing", "EG_SHANGHAI_PASSWORD": "pw-shanghai",
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestAListOfAccountsLoads(t *testing.T) {
	c, err := Parse(strings.NewReader(twoRegions), env(twoRegionsEnv))
	require.NoError(t, err)

	require.Len(t, c.EG.All, 2)
	bj, sh := c.EG.All[0], c.EG.All[1]
	assert.Equal(t, []string{"beijing", "cn-north-4", "p-beijing", "t-beijing", "STOP"}, []string{bj.Name, bj.Region, bj.ProjectID, bj.Auth.Token, bj.Operations.Stop})
	assert.Equal(t, []string{"shanghai", "cn-east-3", "p-shanghai", "pw-shanghai", "SWITCH"}, []string{sh.Name, sh.Region, sh.ProjectID, sh.Auth.Password, sh.Operations.Switch})
	assert.Equal(t, "s-1", bj.Sandbox.Streams[0].ID, "each account is seeded by its own sandbox:")
	assert.Empty(t, bj.Sandbox.Jobs)
	assert.Equal(t, "j-1", sh.Sandbox.Jobs[0].ID)
	assert.Equal(t, "eg[1].sandbox", sh.SandboxKey())

	require.Len(t, c.EnOS.All, 2)
	assert.Equal(t, "s-eu", c.EnOS.All[0].AppSecret)
	assert.NotNil(t, c.EnOS.All[1].Sandbox, "an account without sandbox: has an empty seed")
	assert.Equal(t, eg.DefaultTimeout, bj.Timeout, "every account takes the default timeout")
	assert.Equal(t, eg.DefaultTimeout, sh.Timeout)
	assert.Equal(t, 40*time.Second, c.EnOS.All[1].Timeout)
	_, key := c.longestCall()
	assert.Equal(t, "enos[1].timeout", key, "the longest call is looked for in every account")

	d := c.Directory()
	assert.Equal(t, ops.Targets{
		"pipeline": {"orders-etl": "p-1", "billing-agg": "cn-1/p-2"},
		"stream":   {"clickstream": "s-1"},
		"job":      {"orders-dr": "shanghai/j-1"},
	}, d.Aliases)
	assert.Equal(t, map[string][]string{
		"pipeline": {"eu-1", "cn-1"}, "stream": {"beijing", "shanghai"}, "job": {"beijing", "shanghai"},
	}, d.Accounts)
	assert.Equal(t, []string{"pipeline:orders-etl", "pipeline:billing-agg"}, d.Groups["orders"])
	dr, err := d.Group("dr")
	require.NoError(t, err)
	assert.Equal(t, []ops.Target{
		{Kind: "job", Alias: "orders-dr", ID: "j-1", Account: "shanghai"},
		{Kind: "stream", Alias: "clickstream", ID: "s-1", Account: "beijing"},
		{Kind: "stream", ID: "s-9", Account: "beijing"},
	}, dr)
}

// The one account of a mapping is the default account, seeded by the
// top-level sandbox section as before, or named by name:.
func TestTheSingleFormIsOneAccount(t *testing.T) {
	c, err := Parse(strings.NewReader(withEG+"sandbox: {eg: {listen: '127.0.0.1:9082', streams: [{id: s-1}]}}\n"), noEnv)
	require.NoError(t, err)
	require.Len(t, c.EG.All, 1)
	assert.Equal(t, ops.DefaultAccount, c.EG.All[0].Name)
	assert.Equal(t, "s-1", c.EG.All[0].Sandbox.Streams[0].ID)
	assert.Equal(t, "sandbox.eg", c.EG.All[0].SandboxKey())
	assert.Equal(t, map[string][]string{"pipeline": {"default"}, "stream": {"default"}, "job": {"default"}}, c.Directory().Accounts)

	c, err = Parse(strings.NewReader(withEG+"  name: beijing\n  sandbox: {streams: [{id: s-2}]}\n"), env(map[string]string{"EG_BEIJING_TOKEN": "t2"}))
	require.NoError(t, err)
	assert.Equal(t, "beijing", c.EG.All[0].Name)
	assert.Equal(t, "t2", c.EG.All[0].Auth.Token)
	assert.Equal(t, "s-2", c.EG.All[0].Sandbox.Streams[0].ID)
	assert.Equal(t, "eg.sandbox", c.EG.All[0].SandboxKey())
	assert.Equal(t, "beijing", c.Directory().DefaultAccountOf("job"))
}

// The default account reads today's variables; a named one reads its own,
// and never the default account's.
func TestSecretsPerAccountFromTheEnvironment(t *testing.T) {
	all := map[string]string{
		"EG_TOKEN": "default-token", "EG_PASSWORD": "default-pw", "EG_ACCESS_KEY": "default-ak", "EG_SECRET_KEY": "default-sk",
		"ENOS_APP_KEY": "default-key", "ENOS_APP_SECRET": "default-secret",
		"EG_EU_2_ACCESS_KEY": "eu-ak", "EG_EU_2_SECRET_KEY": "eu-sk", "ENOS_EU_1_APP_SECRET": "eu-secret",
	}
	yml := `
console: {user: alice}
nats: {store_dir: /tmp/x}
enos:
  - {name: default, endpoint: sandbox, org_id: o1}
  - {name: eu-1, endpoint: sandbox, org_id: o2, app_key: file-key}
eg:
  - {name: default, endpoint: sandbox, region: r, project_id: p, auth: {mode: token}}
  - {name: eu-2, endpoint: sandbox, region: r, project_id: p, auth: {mode: aksk}}
`
	c, err := Parse(strings.NewReader(yml), env(all))
	require.NoError(t, err)
	assert.Equal(t, "default-key", c.EnOS.All[0].AppKey)
	assert.Equal(t, "default-secret", c.EnOS.All[0].AppSecret)
	assert.Equal(t, "file-key", c.EnOS.All[1].AppKey, "ENOS_APP_KEY is the default account's")
	assert.Equal(t, "eu-secret", c.EnOS.All[1].AppSecret)
	assert.Equal(t, "default-token", c.EG.All[0].Auth.Token)
	assert.Equal(t, eg.Auth{Mode: "aksk", AccessKey: "eu-ak", SecretKey: "eu-sk"}, c.EG.All[1].Auth, "nothing of EG_* reaches account eu-2")

	// Without its own variable a named account has no secret, and says
	// which variable would give it one; the default account's is not
	// taken, and no value is shown.
	delete(all, "ENOS_EU_1_APP_SECRET")
	delete(all, "EG_EU_2_SECRET_KEY")
	_, err = Parse(strings.NewReader(yml), env(all))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "enos[1].app_secret: required (the application's secret key; or set ENOS_EU_1_APP_SECRET)")
	assert.Contains(t, err.Error(), "eg[1].auth.secret_key: required for auth.mode aksk (or set EG_EU_2_SECRET_KEY)")
	for _, v := range all {
		assert.NotContains(t, err.Error(), v)
	}
}

func TestEnvNamingRule(t *testing.T) {
	for name, want := range map[string]string{"default": "EG", "shanghai": "EG_SHANGHAI", "eu-1": "EG_EU_1", "a-b-c": "EG_A_B_C"} {
		assert.Equal(t, want, envName("EG", name), name)
	}
}

func TestParseRejectsBadAccounts(t *testing.T) {
	eg := func(name, extra string) string {
		return "  - {name: " + name + ", endpoint: sandbox, region: r, project_id: p, auth: {mode: token, token: t}" + extra + "}\n"
	}
	base := "console: {user: alice}\nnats: {store_dir: /tmp/x}\n"
	tests := map[string]struct {
		yaml string
		says []string
	}{
		"list without a name": {base + "eg:\n" + eg("a", "") + "  - {endpoint: sandbox, region: r, project_id: p, auth: {mode: token, token: t}}\n",
			[]string{"eg[1].name: required in a list of accounts: a name such as shanghai"}},
		"duplicate names": {base + "eg:\n" + eg("a", "") + eg("b", "") + eg("a", ""),
			[]string{`eg[2].name: "a" already names the account at eg[0]: give each account its own name`}},
		"a name of both providers": {base + "enos: [{name: a, endpoint: sandbox, org_id: o, app_key: k, app_secret: s}]\neg:\n" + eg("a", ""),
			[]string{`eg[0].name: "a" already names the account at enos[0]`}},
		"two defaults of one provider": {base + "eg:\n" + eg("default", "") + eg("default", ""),
			[]string{`eg[1].name: "default" already names the account at eg[0]`}},
		"bad name": {base + "eg:\n" + eg("Shang_Hai", ""),
			[]string{`eg[0].name: "Shang_Hai" is not an account name: lower-case letters, digits and '-'`}},
		"empty list": {base + "eg: []\n", []string{"eg: the list has no accounts: list one or more, or leave eg out"}},
		"alias of an unknown account": {base + "eg:\n" + eg("a", "") + "targets: {jobs: {dr: {id: j-1, account: b}}}\n",
			[]string{`targets.jobs.dr: there is no account "b" for jobs: the accounts are a`}},
		"alias of an account of the other provider": {base + "enos: {endpoint: sandbox, org_id: o, app_key: k, app_secret: s}\neg:\n" + eg("a", "") + "targets: {pipelines: {etl: {id: p-1, account: a}}}\n",
			[]string{`targets.pipelines.etl: there is no account "a" for pipelines: the accounts are default`}},
		"alias without an id": {base + "eg:\n" + eg("a", "") + "targets: {jobs: {dr: {account: a}}}\n",
			[]string{`targets.jobs.dr: "" is not a provider ID`}},
		"unknown key in an alias": {base + "eg:\n" + eg("a", "") + "targets: {jobs: {dr: {id: j-1, acount: a}}}\n",
			[]string{`targets.jobs.dr.acount (line 5): unknown key "acount"`}},
		"a list for an alias": {base + "eg:\n" + eg("a", "") + "targets: {jobs: {dr: [j-1]}}\n",
			[]string{"targets.jobs.dr (line 5): a list is not a valid value here: write an ID or {id: ..., account: ...}"}},
		"a bad group": {base + "eg:\n" + eg("a", "") + "targets: {groups: {dr: [job]}}\n",
			[]string{`targets.groups.dr: member "job" is not kind:name`}},
		"a group member of an unknown account": {base + "eg:\n" + eg("a", "") + "targets: {groups: {dr: [job:b/j-1]}}\n",
			[]string{`targets.groups.dr: there is no account "b" for jobs`}},
		"sandbox listen clash": {base + "eg:\n" + eg("a", ", sandbox: {listen: '127.0.0.1:9082'}") + eg("b", ", sandbox: {listen: '127.0.0.1:9082'}"),
			[]string{`eg[1].sandbox.listen: "127.0.0.1:9082" takes the same port as eg[0].sandbox.listen`}},
		"unknown key in a list entry": {base + "eg:\n" + eg("a", "") + eg("b", ", regoin: r"),
			[]string{`eg[1].regoin (line 5): unknown key "regoin"`}},
		"type error in a list entry": {base + "eg:\n" + eg("a", "") + eg("b", ", timeout: soon"),
			[]string{`eg[1].timeout (line 5): "soon" is not a duration`}},
		"list for a string in a list entry": {base + "eg:\n" + eg("a", "") + "  - {name: b, region: [r]}\n",
			[]string{"eg[1].region (line 5): a list is not a valid value here: write a string"}},
		"zero timeout in a list entry": {base + "eg:\n" + eg("a", "") + eg("b", ", timeout: 0s"),
			[]string{"eg[1].timeout (line 5): 0s is not a duration the bot can use: leave the key out for the default, 10s"}},
		"a key of the account checked in its list entry": {base + "eg:\n" + eg("a", "") + "  - {name: b, endpoint: sandbox, region: r, project_id: 'p 1', auth: {mode: token, token: t}}\n",
			[]string{`eg[1].project_id: want the project ID`}},
		"a seed checked in its list entry": {base + "eg:\n" + eg("a", ", sandbox: {streams: [{id: s-1}, {id: s-1}]}"),
			[]string{`eg[0].sandbox.streams[1].id: duplicate stream ID "s-1"`}},
		"an EnOS seed checked in its list entry": {base + "enos:\n  - {name: a, endpoint: sandbox, org_id: o, app_key: k, app_secret: s, sandbox: {pipelines: [{id: p-1, status: RUNNING}, {id: p-1, status: RUNNING}]}}\n",
			[]string{`enos[0].sandbox.pipelines[1].id: "p-1" is already used by pipelines[0]`}},
		"a scalar for the section": {base + "eg: sandbox\n",
			[]string{`eg (line 3): "sandbox" is not a valid value here: write a mapping of keys`}},
		"top-level seed with a list": {base + "eg:\n" + eg("a", "") + "sandbox: {eg: {streams: [{id: s-1}]}}\n",
			[]string{"sandbox.eg: with a list of eg accounts, each account seeds its own simulator: move this section under the account it is for, as eg[0].sandbox"}},
		"two seeds of the one account": {base + "enos: {endpoint: sandbox, org_id: o, app_key: k, app_secret: s, sandbox: {}}\nsandbox: {enos: {}}\n",
			[]string{"enos.sandbox: the simulator is seeded both here and at sandbox.enos: keep one"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.yaml), noEnv)
			require.Error(t, err)
			for _, s := range tt.says {
				assert.Contains(t, err.Error(), s)
			}
			assert.NotRegexp(t, `config\.[A-Z]|\[\]|map\[`, err.Error(), "no Go in the message")
		})
	}
}

// Each provider may have a default account, as a config of both providers
// without lists always had.
func TestBothProvidersMayHaveADefaultAccount(t *testing.T) {
	c, err := Parse(strings.NewReader(withEG), noEnv)
	require.NoError(t, err)
	assert.Equal(t, "default", c.EnOS.All[0].Name)
	assert.Equal(t, "default", c.EG.All[0].Name)
}

// config.example.yaml as it was before accounts had names loads as it did:
// the same aliases, the default account of every kind, and the settings.
func TestTheSingleAccountExampleLoadsAsBefore(t *testing.T) {
	c, err := Load("testdata/config.example.45426fb.yaml", noEnv)
	require.NoError(t, err)
	d := c.Directory()
	assert.Equal(t, ops.Targets{
		"pipeline": {"orders-etl": "p-7d3f9a21", "billing-agg": "p-1c2b3a45"},
		"stream":   {"clickstream": "6f8e2d1c-0b9a-4c3d-8e7f-1a2b3c4d5e6f"},
		"job":      {"orders-dr": "fac59513-6c18-4266-bc81-5d412dfc1925"},
	}, d.Aliases)
	assert.Empty(t, d.Groups)
	for _, kind := range []string{"pipeline", "stream", "job"} {
		assert.Equal(t, ops.DefaultAccount, d.DefaultAccountOf(kind))
	}
	dr, err := d.Resolve("job", "orders-dr")
	require.NoError(t, err)
	assert.Equal(t, ops.Target{Kind: "job", Alias: "orders-dr", ID: "fac59513-6c18-4266-bc81-5d412dfc1925"}, dr, "no account is stored for the default account")
	assert.Equal(t, ops.TargetKey{Account: "default", Kind: "job", ID: dr.ID}, dr.Key())

	require.Len(t, c.EnOS.All, 1)
	require.Len(t, c.EG.All, 1)
	e, g := c.EnOS.All[0], c.EG.All[0]
	assert.Equal(t, []string{"o15589290120351", "demo-app-key", "demo-app-secret", "sandbox"}, []string{e.OrgID, e.AppKey, e.AppSecret, e.Endpoint})
	assert.Equal(t, []string{"cn-north-4", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "demo-password", "STOP", "SWITCH"},
		[]string{g.Region, g.ProjectID, g.Auth.Password, g.Operations.Stop, g.Operations.Switch})
	assert.Contains(t, g.Templates, "kafka-dr")
	assert.Equal(t, "127.0.0.1:9082", g.Sandbox.Listen, "the top-level sandbox.eg seeds the one account")
	assert.Len(t, g.Sandbox.Jobs, 1)
	assert.Equal(t, "127.0.0.1:9081", e.Sandbox.Listen)
	assert.Len(t, e.Sandbox.Pipelines, 2)
	assert.Equal(t, []time.Duration{10 * time.Second, 10 * time.Second, time.Second, 5 * time.Minute},
		[]time.Duration{e.Timeout, g.Timeout, c.Requests.CheckInterval, c.Requests.AbandonAfter})
	assert.Len(t, c.Rules, 2)
	assert.Len(t, c.Policy, 3)

	raw, err := os.ReadFile("testdata/config.example.45426fb.yaml")
	require.NoError(t, err)
	assert.Contains(t, string(raw), "\neg:\n  endpoint: sandbox ", "the file is the single-account example, unchanged")
}
