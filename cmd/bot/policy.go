package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/streamops/streamops/internal/config"
	"github.com/streamops/streamops/internal/operations"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slackbot"
)

// policyOf is the config's policy for the product's rules, its @handles
// read from Slack's user groups when Slack is configured; nil, with a
// warning, when the config has none.
func policyOf(cfg *config.Config, api *slack.Client, log *slog.Logger) *ops.Policy {
	if !cfg.HasPolicy() {
		log.Warn("no policy in the config: anyone may request and confirm any operation; see config.example.yaml")
		return nil
	}
	var groups ops.Groups // without Slack, a rule naming a group matches nobody
	if api != nil {
		groups = slackbot.NewGroups(api, 0, nil, log)
	}
	for _, w := range cfg.PolicyWarnings() {
		log.Warn("a policy rule can never match; check-config says the same", "problem", w)
	}
	return &ops.Policy{Rules: cfg.PolicyRules(), Groups: groups, Commands: operations.Names(), Kinds: operations.Kinds(), Targets: cfg.Directory()}
}

// groupCheckTimeout bounds the look at Slack's user groups at start and in
// check-config.
const groupCheckTimeout = 10 * time.Second

// checkGroups names in the log each of the policy's @handles Slack has no
// group with. It runs before the service serves anything.
func checkGroups(ctx context.Context, p *ops.Policy, log *slog.Logger) {
	if p == nil {
		return
	}
	groups, ok := p.Groups.(*slackbot.Groups)
	if !ok {
		return
	}
	handles := p.GroupHandles()
	if len(handles) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, groupCheckTimeout)
	defer cancel()
	if _, err := groups.Missing(ctx, handles); err != nil { // Missing logs the missing ones
		log.Warn("could not check the policy's user groups in Slack; the first commands read them again", "err", err)
	}
}

// checkPolicyGroups fails when the policy names user groups Slack does not
// have, if Slack is configured and answers; when it does not answer, it
// says the groups were not checked.
func checkPolicyGroups(ctx context.Context, cfg *config.Config, stdout io.Writer) error {
	if !cfg.Slack.Configured() || !cfg.HasPolicy() {
		return nil
	}
	handles := (&ops.Policy{Rules: cfg.PolicyRules()}).GroupHandles()
	if len(handles) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, groupCheckTimeout)
	defer cancel()
	missing, err := slackbot.NewGroups(slackClient(cfg.Slack), 0, nil, nil).Missing(ctx, handles)
	if err != nil {
		fmt.Fprintf(stdout, "note: the policy's user groups were not checked in Slack: %v\n", err)
		return nil
	}
	if len(missing) > 0 {
		return fmt.Errorf("policy: Slack has no user group @%s: nobody is in it, so the rules naming it let nobody through. Create it in Slack (People, User groups, with that handle), or name people by member ID in the policy instead",
			strings.Join(missing, ", @"))
	}
	return nil
}
