package main

import (
	"log/slog"

	"github.com/slack-go/slack"

	"github.com/streamops/streamops/internal/config"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slackbot"
)

// policyOf is the config's policy for the product's rules; nil, with a
// warning, when the config has none.
func policyOf(cfg *config.Config, log *slog.Logger) *ops.Policy {
	if !cfg.HasPolicy() {
		log.Warn("no policy in the config: anyone may request and confirm any operation; see config.example.yaml")
		return nil
	}
	return &ops.Policy{Rules: cfg.PolicyRules()}
}

// withGroups lets the policy's @handles be read from Slack. It runs before
// the service serves anything.
func withGroups(p *ops.Policy, api *slack.Client, log *slog.Logger) {
	if p != nil && api != nil {
		p.Groups = slackbot.NewGroups(api, 0, nil, log)
	}
}
