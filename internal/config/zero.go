package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// defaultedDurations are the duration keys applyDefaults fills when they are
// left out. Written as 0 they would take the default too, silently: a user
// who writes `expiry: 0s` means something else, so it is refused.
var defaultedDurations = []struct {
	key string
	get func(*Config) time.Duration
}{
	{"requests.expiry", func(c *Config) time.Duration { return c.Requests.Expiry }},
	{"requests.check_interval", func(c *Config) time.Duration { return c.Requests.CheckInterval }},
	{"requests.check_timeout", func(c *Config) time.Duration { return c.Requests.CheckTimeout }},
}

// explicitZeros reports the defaulted durations written as zero, except
// those already reported, and returns their paths.
func explicitZeros(idx docIndex, reported []string) (errs []error, paths []string) {
	var defaults Config
	defaults.applyDefaults()
	for _, d := range defaultedDurations {
		n, ok := idx.byPath[d.key]
		if !ok || n.Kind != yaml.ScalarNode || slices.Contains(reported, d.key) {
			continue
		}
		if v, err := time.ParseDuration(n.Value); err == nil && v == 0 {
			errs = append(errs, fmt.Errorf("%s (line %d): %s is not a duration the bot can use: leave the key out for the default, %s, or give the duration you mean",
				d.key, n.Line, n.Value, d.get(&defaults)))
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
