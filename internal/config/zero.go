package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/streamops/streamops/internal/api/eg"
	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/bus"
)

// durationDefaults are the duration keys that take a default when left out,
// with that default: the one place either is written. Written as 0 a key
// would take its default too, silently; a user who writes `expiry: 0s`
// means something else, so Parse refuses it (explicitZeros).
var durationDefaults = []struct {
	key   string
	field func(*Config) *time.Duration // nil when the key's section is not configured
	def   time.Duration
	// each, for a key of every provider account, is the key and field of
	// each account (eg[1].timeout); field is then the first account's.
	each func(*Config) []keyedDuration
}{
	{"requests.expiry", func(c *Config) *time.Duration { return &c.Requests.Expiry }, 10 * time.Minute, nil},
	{"requests.check_interval", func(c *Config) *time.Duration { return &c.Requests.CheckInterval }, 2 * time.Second, nil},
	{"requests.check_timeout", func(c *Config) *time.Duration { return &c.Requests.CheckTimeout }, 2 * time.Minute, nil},
	{"requests.abandon_after", func(c *Config) *time.Duration { return &c.Requests.AbandonAfter }, 5 * time.Minute, nil},
	{"requests.target_wait", func(c *Config) *time.Duration { return &c.Requests.TargetWait }, 10 * time.Second, nil},
	{"shutdown.timeout", func(c *Config) *time.Duration { return &c.Shutdown.Timeout }, 30 * time.Second, nil},
	{"audit.retention", func(c *Config) *time.Duration { return &c.Audit.Retention }, bus.DefaultAuditRetention, nil},
	{"slack.queue_wait", func(c *Config) *time.Duration { return &c.Slack.QueueWait }, time.Minute, nil},
	{"alerts.retention", func(c *Config) *time.Duration { return &c.Alerts.Retention }, 24 * time.Hour, nil},
	{"alerts.update_every", func(c *Config) *time.Duration { return &c.Alerts.UpdateEvery }, 2 * time.Second, nil},
	{"enos.timeout", func(c *Config) *time.Duration { return first(enosTimeouts(c)) }, enos.DefaultTimeout, enosTimeouts},
	{"eg.timeout", func(c *Config) *time.Duration { return first(egTimeouts(c)) }, eg.DefaultTimeout, egTimeouts},
}

// keyedDuration is a duration of the config and where it is written.
type keyedDuration struct {
	key   string
	field *time.Duration
}

// defaulted is a keyedDuration and the default it takes.
type defaulted struct {
	keyedDuration
	def time.Duration
}

func enosTimeouts(c *Config) []keyedDuration {
	return accountTimeouts(c.EnOS, "enos", func(a *EnOSAccount) *time.Duration { return &a.Timeout })
}

func egTimeouts(c *Config) []keyedDuration {
	return accountTimeouts(c.EG, "eg", func(a *EGAccount) *time.Duration { return &a.Timeout })
}

// accountTimeouts are the timeouts of a provider's accounts.
func accountTimeouts[T any](a Accounts[T], provider string, timeout func(*T) *time.Duration) []keyedDuration {
	out := make([]keyedDuration, len(a.All))
	for i := range a.All {
		out[i] = keyedDuration{a.key(provider, i) + ".timeout", timeout(&a.All[i])}
	}
	return out
}

func first(ds []keyedDuration) *time.Duration {
	if len(ds) == 0 {
		return nil
	}
	return ds[0].field
}

// durations are the defaulted durations of the configured sections, a
// provider's for each of its accounts.
func (c *Config) durations() []defaulted {
	var out []defaulted
	for _, d := range durationDefaults {
		keyed := []keyedDuration{{d.key, d.field(c)}}
		if d.each != nil {
			keyed = d.each(c)
		}
		for _, k := range keyed {
			if k.field != nil {
				out = append(out, defaulted{k, d.def})
			}
		}
	}
	return out
}

// applyDurationDefaults gives every duration left out its default.
func (c *Config) applyDurationDefaults() {
	for _, d := range c.durations() {
		if *d.field == 0 {
			*d.field = d.def
		}
	}
}

// explicitZeros reports the defaulted durations written as zero, except
// those already reported, and returns their paths.
func (c *Config) explicitZeros(idx docIndex, reported []string) (errs []error, paths []string) {
	for _, d := range c.durations() {
		n, ok := idx.byPath[d.key]
		if !ok || n.Kind != yaml.ScalarNode || slices.Contains(reported, d.key) {
			continue
		}
		if v, err := time.ParseDuration(n.Value); err == nil && v == 0 {
			errs = append(errs, fmt.Errorf("%s (line %d): %s is not a duration the bot can use: leave the key out for the default, %s, or give the duration you mean",
				d.key, n.Line, n.Value, d.def))
			paths = append(paths, d.key)
		}
	}
	return errs, paths
}

// without flattens err and drops the messages about keys in paths, which
// were already reported as written wrong.
func without(err error, paths []string) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, without(e, paths)...)
		}
		return out
	}
	msg := err.Error()
	for _, p := range paths {
		for _, sep := range []string{":", ".", "[", " "} {
			if strings.HasPrefix(msg, p+sep) {
				return nil
			}
		}
	}
	return []error{err}
}
