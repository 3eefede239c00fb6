package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Slack connects the bot to a Slack workspace. With no bot token the bot
// has no Slack front end; with a signing secret it takes slash commands and
// clicks over HTTP, with an app-level token over Socket Mode.
type Slack struct {
	BotToken      string `yaml:"bot_token"`      // xoxb-…; or SLACK_BOT_TOKEN
	SigningSecret string `yaml:"signing_secret"` // for HTTP mode; or SLACK_SIGNING_SECRET
	AppToken      string `yaml:"app_token"`      // xapp-…, for Socket Mode; or SLACK_APP_TOKEN
	APIURL        string `yaml:"api_url"`        // Slack's Web API; tests and proxies point it elsewhere
	Command       string `yaml:"command"`        // the slash command, as set up in the Slack app
	// QueueWait is how long a command or click may wait for a worker in a
	// burst; one that waited longer is dropped and its sender told.
	QueueWait time.Duration `yaml:"queue_wait"`
}

// Configured reports whether the bot should talk to Slack at all.
func (s Slack) Configured() bool { return s.BotToken != "" }

// HTTPMode reports whether Slack sends commands and clicks to the bot's HTTP server.
func (s Slack) HTTPMode() bool { return s.Configured() && s.SigningSecret != "" }

// SocketMode reports whether the bot fetches commands and clicks over a websocket.
func (s Slack) SocketMode() bool { return s.Configured() && s.AppToken != "" }

func (s *Slack) applyEnv(getenv func(string) string) {
	for _, e := range []struct {
		dst *string
		env string
	}{{&s.BotToken, "SLACK_BOT_TOKEN"}, {&s.SigningSecret, "SLACK_SIGNING_SECRET"}, {&s.AppToken, "SLACK_APP_TOKEN"}} {
		if v := getenv(e.env); v != "" {
			*e.dst = v
		}
	}
	if s.APIURL == "" {
		s.APIURL = "https://slack.com/api/"
	}
	if !strings.HasSuffix(s.APIURL, "/") {
		s.APIURL += "/" // the client appends method names to it
	}
	if s.Command == "" {
		s.Command = "/streamops"
	}
}

// validate names each half-set or malformed key; secrets are never echoed.
func (s Slack) validate(bad func(string, ...any)) {
	switch {
	case s.BotToken == "" && (s.SigningSecret != "" || s.AppToken != ""):
		bad("slack.bot_token: required when slack.signing_secret or slack.app_token is set (or set SLACK_BOT_TOKEN): the bot posts its cards with it")
	case s.BotToken != "" && s.SigningSecret == "" && s.AppToken == "":
		bad("slack.signing_secret, slack.app_token: slack.bot_token is set but neither is: set signing_secret (SLACK_SIGNING_SECRET) for HTTP mode or app_token (SLACK_APP_TOKEN) for Socket Mode")
	}
	if s.BotToken != "" && !strings.HasPrefix(s.BotToken, "xoxb-") {
		bad("slack.bot_token: a bot token starts with xoxb- (Slack app, OAuth & Permissions, Bot User OAuth Token)")
	}
	if s.AppToken != "" && !strings.HasPrefix(s.AppToken, "xapp-") {
		bad("slack.app_token: an app-level token starts with xapp- (Slack app, Basic Information, App-Level Tokens, scope connections:write)")
	}
	if u, err := url.Parse(s.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("slack.api_url: %q is not an http(s) URL: leave it out for Slack's own, https://slack.com/api/", s.APIURL)
	}
	if !strings.HasPrefix(s.Command, "/") || strings.ContainsAny(s.Command, " \t") {
		bad("slack.command: %q is not a slash command: write it like /streamops", s.Command)
	}
}

// String keeps the secrets out of anything that prints the section.
func (s Slack) String() string {
	set := func(v string) string {
		if v == "" {
			return "unset"
		}
		return "set"
	}
	return fmt.Sprintf("slack{bot_token: %s, signing_secret: %s, app_token: %s, api_url: %s, command: %s}",
		set(s.BotToken), set(s.SigningSecret), set(s.AppToken), s.APIURL, s.Command)
}
