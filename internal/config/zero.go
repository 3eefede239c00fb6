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
}{
	{"requests.expiry", func(c *Config) *time.Duration { return &c.Requests.Expiry }, 10 * time.Minute},
	{"requests.check_interval", func(c *Config) *time.Duration { return &c.Requests.CheckInterval }, 2 * time.Second},
	{"requests.check_timeout", func(c *Config) *time.Duration { return &c.Requests.CheckTimeout }, 2 * time.Minute},
	{"requests.abandon_after", func(c *Config) *time.Duration { return &c.Requests.AbandonAfter }, 5 * time.Minute},
	{"requests.target_wait", func(c *Config) *time.Duration { return &c.Requests.TargetWait }, 10 * time.Second},
	{"shutdown.timeout", func(c *Config) *time.Duration { return &c.Shutdown.Timeout }, 30 * time.Second},
	{"audit.retention", func(c *Config) *time.Duration { return &c.Audit.Retention }, bus.DefaultAuditRetention},
	{"alerts.retention", func(c *Config) *time.Duration { return &c.Alerts.Retention }, 24 * time.Hour},
	{"alerts.update_every", func(c *Config) *time.Duration { return &c.Alerts.UpdateEvery }, 2 * time.Second},
	{"enos.timeout", func(c *Config) *time.Duration {
		if c.EnOS == nil {
			return nil
		}
		return &c.EnOS.Timeout
	}, enos.DefaultTimeout},
	{"eg.timeout", func(c *Config) *time.Duration {
		if c.EG == nil {
			return nil
		}
		return &c.EG.Timeout
	}, eg.DefaultTimeout},
}

// applyDurationDefaults gives every duration left out its default.
func (c *Config) applyDurationDefaults() {
	for _, d := range durationDefaults {
		if p := d.field(c); p != nil && *p == 0 {
			*p = d.def
		}
	}
}

// explicitZeros reports the defaulted durations written as zero, except
// those already reported, and returns their paths.
func explicitZeros(idx docIndex, reported []string) (errs []error, paths []string) {
	for _, d := range durationDefaults {
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
