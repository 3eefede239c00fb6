package eg

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

const configYAML = `
endpoint: https://eg.cn-north-4.myhuaweicloud.com
iam_endpoint: https://iam.cn-north-4.myhuaweicloud.com
region: cn-north-4
project_id: 0123456789abcdef0123456789abcdef
timeout: 5s
auth:
  mode: password
  domain: acme
  user: bot
operations:
  stop: STOP
  switch: SWITCH
templates:
  dr-kafka:
` + "    " + `cluster_id: c-1
`

func TestConfigFromYAMLAndEnvironment(t *testing.T) {
	var cfg Config
	require.NoError(t, yaml.Unmarshal([]byte(configYAML), &cfg))
	cfg.Templates["dr-kafka"] = kafkaTemplate()
	assert.Equal(t, 5*time.Second, cfg.Timeout)

	err := cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "eg.auth.password: required for auth.mode password (or set EG_PASSWORD)")
	assert.Contains(t, err.Error(), "eg.templates.dr-kafka: sink_config.sink_kafka.password: environment variable DR_SINK_KAFKA_PASSWORD (named by password_env) is not set")

	cfg.ApplyEnv(env(map[string]string{"EG_PASSWORD": "iam-pw", "DR_SINK_KAFKA_PASSWORD": "kafka-pw"}))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, "iam-pw", cfg.Auth.Password)

	req, err := cfg.Templates["dr-kafka"].Render("job-1", "", nil)
	require.NoError(t, err)
	assert.Equal(t, "kafka-pw", req.SinkConfig.Kafka.Password, "a nil getenv uses what ApplyEnv read")
	assert.Empty(t, kafkaTemplate().Sink.Kafka.Password)
}

func TestApplyEnvOverridesTheFile(t *testing.T) {
	cfg := Config{Auth: Auth{Token: "file", AccessKey: "file-ak", SecretKey: "file-sk", Password: "file-pw"}}
	cfg.ApplyEnv(env(map[string]string{"EG_TOKEN": "env-tok", "EG_ACCESS_KEY": "env-ak", "EG_SECRET_KEY": "env-sk"}))
	assert.Equal(t, Auth{Token: "env-tok", AccessKey: "env-ak", SecretKey: "env-sk", Password: "file-pw"}, cfg.Auth)
}

func TestConfigValidateModes(t *testing.T) {
	base := tokenConfig()
	valid := map[string]func(*Config){
		"token": func(c *Config) {},
		"password": func(c *Config) {
			c.Auth = Auth{Mode: AuthPassword, Domain: "d", User: "u", Password: "p"}
			c.IAMEndpoint = "https://iam.x"
		},
		"password sandbox": func(c *Config) {
			c.Endpoint = Sandbox
			c.Auth = Auth{Mode: AuthPassword, Domain: "d", User: "u", Password: "p"}
		},
		"aksk":       func(c *Config) { c.Auth = Auth{Mode: AuthAKSK, AccessKey: "a", SecretKey: "s"} },
		"operations": func(c *Config) { c.Operations = Operations{Stop: "STOP", Switch: "SWITCH_OVER"} },
	}
	for name, change := range valid {
		cfg := base
		change(&cfg)
		assert.NoError(t, cfg.Validate(), name)
	}
}

func TestConfigValidateNamesTheKey(t *testing.T) {
	cases := []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.Endpoint = "" }, "eg.endpoint: required: want \"sandbox\" or an https URL"},
		{func(c *Config) { c.Endpoint = "eg.cn-north-4.myhuaweicloud.com" }, `eg.endpoint: "eg.cn-north-4.myhuaweicloud.com" is not an http(s) URL with a host`},
		{func(c *Config) { c.Endpoint = "https://eg .example.com" }, `eg.endpoint: "https://eg .example.com" is not a URL`},
		{func(c *Config) { c.Endpoint = "https://user:secretpw@eg.example.com" }, `eg.endpoint: "https://redacted@eg.example.com" has a query, fragment or user info: want "sandbox" or an https URL such as https://eg.{region}.myhuaweicloud.com`},
		{func(c *Config) { c.Endpoint = "https://user:secretpw@eg .example.com" }, `eg.endpoint: "https://redacted@eg .example.com" is not a URL`},
		{func(c *Config) { c.Region = "" }, "eg.region: want a region ID"},
		{func(c *Config) { c.ProjectID = "a/b" }, "eg.project_id: want the project ID"},
		{func(c *Config) { c.Timeout = -time.Second }, "eg.timeout: must not be negative"},
		{func(c *Config) { c.Auth.Mode = "" }, `eg.auth.mode: want token, password or aksk, got ""`},
		{func(c *Config) { c.Auth.Token = "" }, "eg.auth.token: required for auth.mode token (or set EG_TOKEN)"},
		{func(c *Config) { c.Auth = Auth{Mode: AuthPassword, Password: "secretpw"} }, "eg.iam_endpoint: required for auth.mode password"},
		{func(c *Config) {
			c.IAMEndpoint, c.Auth = "iam.example.com", Auth{Mode: AuthPassword, Password: "secretpw"}
		},
			`eg.iam_endpoint: "iam.example.com" is not an http(s) URL with a host: want an https URL`},
		{func(c *Config) { c.Auth = Auth{Mode: AuthPassword, Password: "secretpw"} }, "eg.auth.domain: required"},
		{func(c *Config) { c.Auth = Auth{Mode: AuthPassword, Password: "secretpw"} }, "eg.auth.user: required"},
		{func(c *Config) { c.Auth = Auth{Mode: AuthAKSK, SecretKey: "secretpw"} }, "eg.auth.access_key: required for auth.mode aksk (or set EG_ACCESS_KEY)"},
		{func(c *Config) { c.Auth = Auth{Mode: AuthAKSK, AccessKey: "a"} }, "eg.auth.secret_key: required for auth.mode aksk (or set EG_SECRET_KEY)"},
		{func(c *Config) { c.Operations.Stop = "stop now" }, `eg.operations.stop: want an operation name`},
		{func(c *Config) { c.Operations.Switch = "START" }, "eg.operations.switch: must differ from START"},
		{func(c *Config) { c.Operations = Operations{Stop: "X", Switch: "X"} }, "eg.operations.switch: must differ from operations.stop"},
		{func(c *Config) { c.Templates = map[string]JobTemplate{"bad name": kafkaTemplate()} }, `eg.templates: template name "bad name"`},
		{func(c *Config) { c.Templates = map[string]JobTemplate{"t": {}} }, "eg.templates.t: cluster_id: required"},
	}
	for _, tc := range cases {
		cfg := tokenConfig()
		cfg.Auth.Token = "secretpw"
		tc.change(&cfg)
		err := cfg.Validate()
		require.Error(t, err, tc.want)
		assert.Contains(t, err.Error(), tc.want)
		assert.NotContains(t, err.Error(), "secretpw", "no secret in an error")
	}
}

func TestNewRefusesAnInvalidConfigOrURL(t *testing.T) {
	_, err := New("https://eg.example.com", "", Config{})
	assert.ErrorContains(t, err, "eg.auth.mode")
	_, err = New("not a url", "", tokenConfig())
	assert.ErrorContains(t, err, "eg: base URL")
	cfg := tokenConfig()
	cfg.Endpoint = Sandbox
	cfg.Auth = Auth{Mode: AuthPassword, Domain: "d", User: "u", Password: "p"}
	_, err = New("http://127.0.0.1:1", "", cfg)
	assert.ErrorContains(t, err, "eg: IAM URL")

	c, err := New("https://eg.example.com/", "", tokenConfig())
	require.NoError(t, err)
	assert.Equal(t, testProject, c.ProjectID())
	assert.Equal(t, "cn-north-4", c.Region())
	assert.True(t, strings.HasSuffix(c.path("eventstreamings", "es 1"), "/v1/"+testProject+"/eventstreamings/es%201"))
}
