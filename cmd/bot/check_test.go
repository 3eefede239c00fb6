package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkConfigFile runs `bot check-config` on a config made of sections,
// each a top-level key and its YAML, and returns the error it ends with.
func checkConfigFile(t *testing.T, sections map[string]string) error {
	t.Helper()
	base := map[string]string{
		"http":     `{listen: "127.0.0.1:8080"}`,
		"nats":     `{listen: "127.0.0.1:4222"}`,
		"console":  `{user: alice}`,
		"requests": `{expiry: 10m}`,
		"eg": `
  endpoint: sandbox
  region: cn-north-4
  project_id: 0a1b2c3d4e5f60718293a4b5c6d7e8f9
  auth: {mode: token, token: t}`,
		"sandbox": `
  eg: {listen: "127.0.0.1:9082"}`,
	}
	for k, v := range sections {
		base[k] = v
	}
	var b strings.Builder
	for _, k := range []string{"http", "nats", "console", "requests", "enos", "eg", "sandbox"} {
		if v := base[k]; v != "" {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	var out bytes.Buffer
	return run(context.Background(), []string{"check-config", "--config", path}, func(string) string { return "" }, nil, &out, &out)
}

// What used to fail only at start, or to pass unnoticed, check-config now
// refuses, naming the key.
func TestCheckConfigNamesTheKey(t *testing.T) {
	require.NoError(t, checkConfigFile(t, nil))
	cases := []struct {
		name     string
		sections map[string]string
		want     []string
		not      []string
	}{
		{"http and nats on one port", map[string]string{"nats": `{listen: "127.0.0.1:8080"}`},
			[]string{`nats.listen: "127.0.0.1:8080" takes the same port as http.listen ("127.0.0.1:8080")`}, nil},
		{"every interface and loopback", map[string]string{"sandbox": `{eg: {listen: ":4222"}}`},
			[]string{`sandbox.eg.listen: ":4222" takes the same port as nats.listen ("127.0.0.1:4222")`}, nil},
		{"localhost and 127.0.0.1", map[string]string{"sandbox": `{eg: {listen: "localhost:8080"}}`},
			[]string{`sandbox.eg.listen: "localhost:8080" takes the same port as http.listen`}, nil},
		{"two simulators", map[string]string{
			"enos":    `{endpoint: sandbox, org_id: o1, app_key: k, app_secret: s}`,
			"sandbox": `{eg: {listen: "127.0.0.1:9082"}, enos: {listen: "127.0.0.1:9082"}}`},
			[]string{`sandbox.eg.listen: "127.0.0.1:9082" takes the same port as sandbox.enos.listen`}, nil},
		{"a malformed listen address", map[string]string{"sandbox": `{eg: {listen: "9082"}}`},
			[]string{`sandbox.eg.listen: "9082" is not host:port`}, nil},
		{"a simulator's listen with a real endpoint", map[string]string{"eg": `
  endpoint: https://eg.cn-north-4.myhuaweicloud.com
  region: cn-north-4
  project_id: p1
  auth: {mode: token, token: t}`, "sandbox": `{eg: {listen: "127.0.0.1"}}`},
			[]string{`sandbox.eg.listen: "127.0.0.1" is not host:port`}, nil},
		{"a port out of range", map[string]string{"nats": `{listen: "127.0.0.1:70000"}`},
			[]string{`nats.listen: "127.0.0.1:70000": the port must be a number from 0 to 65535`}, nil},
		{"expiry 0s", map[string]string{"requests": `{expiry: 0s}`},
			[]string{`requests.expiry (line 4): 0s is not a duration the bot can use: leave the key out for the default, 10m0s`}, nil},
		{"check_timeout 0", map[string]string{"requests": "\n  check_timeout: 0"},
			[]string{`requests.check_timeout (line 5): "0" is not a duration: write it like 30s`}, nil},
		{"a malformed endpoint", map[string]string{"eg": strings.Replace(`
  endpoint: sandbox
  region: cn-north-4
  project_id: p1
  auth: {mode: token, token: t}`, "sandbox", "eg.cn-north-4.myhuaweicloud.com", 1)},
			[]string{`eg.endpoint: "eg.cn-north-4.myhuaweicloud.com" is not an http(s) URL with a host`}, nil},
		{"a malformed iam_endpoint", map[string]string{"eg": `
  endpoint: https://eg.cn-north-4.myhuaweicloud.com
  iam_endpoint: "https://iam .myhuaweicloud.com"
  region: cn-north-4
  project_id: p1
  auth: {mode: password, domain: d, user: u, password: p}`},
			[]string{`eg.iam_endpoint: "https://iam .myhuaweicloud.com" is not a URL`}, []string{"required"}},
		{"a type error and other problems", map[string]string{
			"requests": `{expiry: 10m, check_timeout: soon}`, "console": `{user: ""}`, "http": `{listen: nowhere}`},
			[]string{
				`requests.check_timeout (line 4): "soon" is not a duration`,
				"console.user: required",
				`http.listen: "nowhere" is not host:port`,
			}, []string{"check_timeout: 0s", "out of range"}},
		{"a list where a name belongs", map[string]string{"console": `{user: [alice, bob]}`},
			[]string{`console.user (line 3): a list is not a valid value here`}, []string{"console.user: required"}},
		{"an unknown key", map[string]string{"http": `{listne: ":80"}`},
			[]string{`http.listne (line 1): unknown key "listne"`}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := checkConfigFile(t, tc.sections)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, n := range tc.not {
				assert.NotContains(t, err.Error(), n)
			}
		})
	}
}

func TestCheckConfigRefusesAFileOver1MiB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	big := "console: {user: alice}\n# " + strings.Repeat("x", 1<<20) + "\n"
	require.NoError(t, os.WriteFile(path, []byte(big), 0o600))
	var out bytes.Buffer
	err := run(context.Background(), []string{"check-config", "--config", path}, func(string) string { return "" }, nil, &out, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "config "+path+": the file is over 1 MiB")
}

// check-config refuses a policy rule whose targets can never match, naming
// the key and why, and warns of a rule an earlier one covers entirely.
func TestCheckConfigReportsPolicyRulesThatNeverMatch(t *testing.T) {
	check := func(policy string) (string, error) {
		path := filepath.Join(t.TempDir(), "config.yaml")
		require.NoError(t, os.WriteFile(path, []byte(testConfig(t.TempDir(), "policy:\n"+policy)), 0o600))
		var out bytes.Buffer
		err := run(context.Background(), []string{"check-config", "--config", path}, func(string) string { return "" }, nil, &out, &out)
		return out.String(), err
	}
	rule := func(name, operations, targets string) string {
		return fmt.Sprintf("  - {name: %s, operations: %s, targets: %s, requesters: ['*'], confirmers: ['*']}\n", name, operations, targets)
	}
	_, err := check(rule("malformed", `["*"]`, `["orders-[", "job:"]`) +
		rule("no-group", `["*"]`, `["@production"]`) +
		rule("no-account", `["pipeline *"]`, `["enos-eu/*"]`) +
		rule("no-kind", `["*"]`, `["pipelines:orders-etl"]`) +
		rule("other-kind", `["pipeline *"]`, `["job:orders-dr"]`) +
		rule("no-target", `["pipeline list", "help"]`, `["orders-*"]`))
	require.Error(t, err)
	for _, want := range []string{
		`policy[0].targets: "orders-[" is not a target pattern: give @group, or [kind:][account/]name with * and ? as wildcards, like job:prod-* or eg-shanghai/*`,
		`policy[0].targets: "job:" is not a target pattern`,
		`policy[1].targets: there is no target group @production: none are configured (targets.groups)`,
		`policy[2].targets: "enos-eu/*": there is no account "enos-eu" for the targets of the rule's operations: the accounts are default`,
		`policy[3].targets: "pipelines:orders-etl": "pipelines" is not a kind of target (pipeline, stream or job)`,
		`policy[4].targets: "job:orders-dr" names a job, and none of the rule's operations acts on one (they act on: pipeline), so it never matches`,
		`policy[5].targets: none of the rule's operations (pipeline list, help) acts on a target, and a rule with targets covers only commands on one`,
	} {
		assert.Contains(t, err.Error(), want)
	}

	out, err := check(rule("pipelines", `["pipeline *"]`, `["*"]`) + rule("staging", `["pipeline pause"]`, `["staging-*"]`) + rule("reads", `["* list"]`, "[]"))
	require.NoError(t, err, "a rule that never decides is a warning")
	assert.Contains(t, out, `warning: policy[1] ("staging") never decides anything: policy[0] ("pipelines") comes before it and covers every operation it names, in every channel, on every target. Move it up, or remove it`+"\n")
	assert.NotContains(t, out, "policy[2]", "a rule with targets covers no list")
	assert.Contains(t, out, ": ok\n")
}
