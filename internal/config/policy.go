package config

import (
	"time"

	"github.com/streamops/streamops/internal/operations"
	"github.com/streamops/streamops/internal/ops"
)

// PolicyRule is one entry of `policy:`; the first rule that covers an
// operation in a channel decides (see ops.Policy).
type PolicyRule struct {
	Name       string   `yaml:"name"`
	Operations []string `yaml:"operations"` // "pipeline pause", "job *", "*"
	Requesters []string `yaml:"requesters"` // U0ALICE, @oncall, "*"
	Confirmers []string `yaml:"confirmers"`
	Channels   []string `yaml:"channels"` // C0OPS, "*"; empty: any
	TwoPerson  bool     `yaml:"two_person"`
	// Targets narrow the rule to some targets: "@group", or
	// "[kind:][account/]glob" like "job:prod-*"; empty: any target.
	Targets []string `yaml:"targets"`
}

// Audit says how long the audit trail is kept.
type Audit struct {
	// Retention is how long the JetStream stream on streamops.events.>
	// keeps each event.
	Retention time.Duration `yaml:"retention"`
	// MaxBytes bounds the stream's disk; when it is full the oldest events
	// go first (default 1GiB).
	MaxBytes Size `yaml:"max_bytes"`
}

// PolicyRules is the policy in the shape the product's rules take; nil
// when the config has no `policy:` (everyone may do everything).
func (c *Config) PolicyRules() []ops.Rule {
	if c.Policy == nil {
		return nil
	}
	rules := make([]ops.Rule, len(c.Policy))
	for i, r := range c.Policy {
		rules[i] = ops.Rule{Name: r.Name, Operations: r.Operations, Requesters: r.Requesters,
			Confirmers: r.Confirmers, Channels: r.Channels, TwoPerson: r.TwoPerson, Targets: r.Targets}
	}
	return rules
}

// HasPolicy reports whether the config sets `policy:`.
func (c *Config) HasPolicy() bool { return c.Policy != nil }

func (c *Config) validatePolicy(bad func(string, ...any), add func(error)) {
	if c.Audit.Retention < time.Hour || c.Audit.Retention > 10*365*24*time.Hour {
		bad("audit.retention: %s is out of range: give a duration from 1h to 87600h, like 2160h (90 days)", c.Audit.Retention)
	}
	if c.Policy == nil {
		return
	}
	if len(c.Policy) == 0 {
		bad("policy: an empty list refuses every operation; leave the key out to allow everyone, or add rules")
	}
	if err := c.policyToCheck().Validate(); err != nil {
		add(err)
	}
}

// PolicyWarnings are the rules of the policy that can never decide
// anything, each with why; check-config prints them and serve logs them.
func (c *Config) PolicyWarnings() []string {
	if c.Policy == nil {
		return nil
	}
	return c.policyToCheck().Warnings()
}

// policyToCheck is the policy with what its rules are checked against:
// every provider's commands and the config's targets.
func (c *Config) policyToCheck() *ops.Policy {
	return &ops.Policy{Rules: c.PolicyRules(), Commands: operations.Names(), Kinds: operations.Kinds(), Targets: c.Directory()}
}
