package enos

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigValidateAcceptsGoodConfigs(t *testing.T) {
	for _, ep := range []string{"sandbox", "https://apim.example.com", "http://127.0.0.1:8081/gw"} {
		cfg := testConfig()
		cfg.Endpoint = ep
		assert.NoError(t, cfg.Validate(), ep)
	}
}

func TestConfigValidateNamesEachKey(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func(*Config)
		want   string
	}{
		"no endpoint":     {func(c *Config) { c.Endpoint = "" }, `enos.endpoint: required`},
		"ftp endpoint":    {func(c *Config) { c.Endpoint = "ftp://x" }, `enos.endpoint: "ftp://x" is not an http(s) URL or "sandbox"`},
		"no host":         {func(c *Config) { c.Endpoint = "https://" }, `enos.endpoint: "https:" is not an http(s) URL or "sandbox"`},
		"unparseable":     {func(c *Config) { c.Endpoint = "http://[::1" }, `enos.endpoint: "http://[::1" is not an http(s) URL or "sandbox"`},
		"query":           {func(c *Config) { c.Endpoint = "https://gw?orgId=x" }, `enos.endpoint: "https://gw?orgId=x" must not carry a query or fragment`},
		"no org":          {func(c *Config) { c.OrgID = "" }, `enos.org_id: required (the EnOS organization ID, like o15...)`},
		"bad org":         {func(c *Config) { c.OrgID = "o15 x&y" }, `enos.org_id: "o15 x&y" may hold only`},
		"no key":          {func(c *Config) { c.AppKey = "" }, `enos.app_key: required`},
		"bad key":         {func(c *Config) { c.AppKey = "k\n" }, `enos.app_key: "k\n" may hold only`},
		"no secret":       {func(c *Config) { c.AppSecret = "" }, `enos.app_secret: required`},
		"spaced secret":   {func(c *Config) { c.AppSecret = "hunter2 \n" }, `enos.app_secret: contains whitespace`},
		"negative period": {func(c *Config) { c.Timeout = -time.Second }, `enos.timeout: -1s is negative`},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			tc.mutate(&cfg)
			err := cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "hunter2")
			assert.NotContains(t, err.Error(), testSecret)
		})
	}
}

func TestConfigValidateReportsAll(t *testing.T) {
	err := Config{Endpoint: "https://user:pw@gw.example.com?x=1"}.Validate()
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	assert.Len(t, lines, 4)
	assert.NotContains(t, err.Error(), "pw@", "userinfo is redacted")
}

func TestApplyEnv(t *testing.T) {
	env := map[string]string{"ENOS_APP_SECRET": "from-env"}
	cfg := testConfig()
	cfg.ApplyEnv(func(k string) string { return env[k] })
	assert.Equal(t, testKey, cfg.AppKey, "unset variables leave the config alone")
	assert.Equal(t, "from-env", cfg.AppSecret)

	env["ENOS_APP_KEY"] = "key-from-env"
	cfg.ApplyEnv(func(k string) string { return env[k] })
	assert.Equal(t, "key-from-env", cfg.AppKey)
}

func TestConfigTimeoutDefault(t *testing.T) {
	assert.Equal(t, 10*time.Second, Config{}.timeout())
	assert.Equal(t, time.Second, Config{Timeout: time.Second}.timeout())
}
