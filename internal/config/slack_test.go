package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSlackDefaultsAndEnvironment(t *testing.T) {
	var s Slack
	s.applyEnv(func(k string) string {
		return map[string]string{"SLACK_BOT_TOKEN": "xoxb-env", "SLACK_SIGNING_SECRET": "sig", "SLACK_APP_TOKEN": "xapp-env"}[k]
	})
	assert.Equal(t, Slack{BotToken: "xoxb-env", SigningSecret: "sig", AppToken: "xapp-env", APIURL: "https://slack.com/api/", Command: "/streamops"}, s)
	assert.True(t, s.HTTPMode())
	assert.True(t, s.SocketMode())
	assert.NotContains(t, s.String(), "xoxb-env")

	proxied := Slack{APIURL: "http://127.0.0.1:9/api"}
	proxied.applyEnv(func(string) string { return "" })
	assert.Equal(t, "http://127.0.0.1:9/api/", proxied.APIURL, "the client appends method names")
	assert.False(t, proxied.Configured())
}

func TestSlackHalfConfiguredIsReportedByKey(t *testing.T) {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, format) }
	s := Slack{BotToken: "xoxb-1", APIURL: "https://slack.com/api/", Command: "/streamops"}
	s.validate(bad)
	require.Len(t, problems, 1)
	assert.True(t, strings.HasPrefix(problems[0], "slack.signing_secret, slack.app_token:"))

	problems = nil
	(Slack{AppToken: "xapp-1", APIURL: "https://slack.com/api/", Command: "/streamops"}).validate(bad)
	require.Len(t, problems, 1)
	assert.True(t, strings.HasPrefix(problems[0], "slack.bot_token: required"))

	problems = nil
	(Slack{APIURL: "https://slack.com/api/", Command: "/streamops"}).validate(bad)
	assert.Empty(t, problems, "no Slack at all is fine: the console runs")
}
