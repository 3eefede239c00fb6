// Package config reads the bot's YAML configuration, applies secrets from
// the environment and checks every value before anything starts.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/streamops/streamops/internal/alerts"
	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/sandbox/egsim"
	"github.com/streamops/streamops/internal/sandbox/enossim"
)

// Config is the whole configuration file.
type Config struct {
	HTTP     HTTP                  `yaml:"http"`
	NATS     bus.Config            `yaml:"nats"`
	Console  Console               `yaml:"console"`
	Requests Requests              `yaml:"requests"`
	Targets  Targets               `yaml:"targets"`
	EnOS     Accounts[EnOSAccount] `yaml:"enos"`
	EG       Accounts[EGAccount]   `yaml:"eg"`
	Sandbox  Sandbox               `yaml:"sandbox"`
	Log      Log                   `yaml:"log"`
	Shutdown Shutdown              `yaml:"shutdown"`
	Slack    Slack                 `yaml:"slack"`
	Alerts   Alerts                `yaml:"alerts"`
	Rules    []alerts.Rule         `yaml:"rules"` // alerts that propose operations
	Policy   []PolicyRule          `yaml:"policy"`
	Audit    Audit                 `yaml:"audit"`
}

// Shutdown bounds a stop: how long a stop signal waits for provider calls
// in flight before it reports them uncertain and exits.
type Shutdown struct {
	Timeout time.Duration `yaml:"timeout"`
}

// HTTP is where /healthz, /readyz and /metrics are served.
type HTTP struct {
	Listen string `yaml:"listen"`
}

// Console is the stdin/stdout front end used when Slack is not configured.
type Console struct {
	User string `yaml:"user"` // who the person at the console is, as policy and audit name them
	// Enabled runs the console even with Slack configured or stdin not a
	// terminal; otherwise it runs only without Slack, at a terminal.
	Enabled bool `yaml:"enabled"`
}

// Requests tunes the confirmation flow.
type Requests struct {
	Expiry        time.Duration `yaml:"expiry"`         // how long a request waits for confirmation
	CheckInterval time.Duration `yaml:"check_interval"` // how often to read the status after a call
	CheckTimeout  time.Duration `yaml:"check_timeout"`  // how long to wait for the expected status
	// AbandonAfter is how long a request may stay executing before it is
	// reported uncertain (its bot stopped mid-call); it must exceed the
	// longest call a provider can take.
	AbandonAfter time.Duration `yaml:"abandon_after"`
	// TargetWait is how long a confirmation waits while another request
	// acts on the same target, before it is refused.
	TargetWait time.Duration `yaml:"target_wait"`
}

// Targets are the aliases people may type instead of provider IDs, and
// the groups of targets a command may name at once.
type Targets struct {
	Pipelines map[string]Target `yaml:"pipelines"`
	Streams   map[string]Target `yaml:"streams"`
	Jobs      map[string]Target `yaml:"jobs"`
	// Groups are named lists of "kind:word" members, the word an alias, an
	// ID or account/ID: orders: [pipeline:orders-etl, stream:clickstream].
	Groups map[string][]string `yaml:"groups"`
}

// Target is what an alias stands for: written as the provider ID, for a
// target of its kind's default account, or as {id: ..., account: ...}.
type Target struct {
	ID      string `yaml:"id"`
	Account string `yaml:"account"` // empty: the kind's default account
}

// UnmarshalYAML takes a scalar as the ID and a mapping as the fields.
func (t *Target) UnmarshalYAML(unmarshal func(any) error) error {
	var id string
	if unmarshal(&id) == nil {
		*t = Target{ID: id}
		return nil
	}
	return unmarshal((*targetFields)(t))
}

// targetFields is Target without its UnmarshalYAML, to decode the mapping.
type targetFields Target

// Sandbox seeds the in-process simulators of the one account of a provider
// written as a mapping (whose endpoint is "sandbox") and says where `bot
// simulate` serves them; a list's accounts have each their own sandbox:.
type Sandbox struct {
	EnOS *enossim.Config `yaml:"enos"`
	EG   *egsim.Config   `yaml:"eg"`
}

// Log says where the JSON log lines go and how much is logged.
type Log struct {
	Level string `yaml:"level"` // debug, info, warn or error
	File  string `yaml:"file"`  // append to this file; empty: stderr
}

// SandboxEndpoint is the endpoint value that starts a provider's simulator.
const SandboxEndpoint = "sandbox"

// Load reads the file at path, applies secrets from getenv and validates the
// result. Every problem found is in the error, each naming its key.
func Load(path string, getenv func(string) string) (*Config, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("config: there is no file %s: copy config.example.yaml to %s and edit it, or name your configuration file with --config FILE", path, path)
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	c, err := Parse(f, getenv)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// maxFileSize bounds what Parse reads; no configuration comes near it.
const maxFileSize = 1 << 20

// Parse is Load for a reader.
func Parse(r io.Reader, getenv func(string) string) (*Config, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxFileSize {
		return nil, errors.New("the file is over 1 MiB, far more than any configuration needs: check that --config names the configuration file")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, errors.New("the file is empty: start from config.example.yaml")
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		// A syntax error: nothing after it can be trusted.
		if tab := explainTab(raw, strings.TrimPrefix(err.Error(), "yaml: ")); tab != nil {
			return nil, tab
		}
		return nil, explainYAML(err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the file is not a mapping of keys (console:, eg:, ...): start from config.example.yaml")
	}
	idx := indexDoc(&doc)

	var c Config
	var errs []error
	var reported []string // key paths whose value was refused: Validate would only see a zero
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, explainYAML(err)
		}
		// The decoder goes on past a type error: report them all, then
		// everything else that is wrong.
		for _, msg := range te.Errors {
			path, e := idx.explainTypeError(msg)
			errs = append(errs, e)
			if path != "" {
				reported = append(reported, path)
			}
		}
	}
	errs = append(errs, c.prepareAccounts()...)
	zeroErrs, zeroPaths := c.explicitZeros(idx, reported)
	errs, reported = append(errs, zeroErrs...), append(reported, zeroPaths...)
	c.applyDefaults()
	c.Slack.applyEnv(getenv)
	c.NATS.ApplyEnv(getenv)
	c.Alerts.prepare(getenv)
	c.prepareStreams()
	c.applyAccountsEnv(getenv)
	errs = append(errs, without(c.Validate(), reported)...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) applyDefaults() {
	if c.HTTP.Listen == "" {
		c.HTTP.Listen = "127.0.0.1:8080"
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	c.applyDurationDefaults()
}

// Validate checks every value and returns all problems at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	checkListenAddrs(c.listenAddrs(), bad)
	if err := c.NATS.Validate(); err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(c.Console.User) == "" {
		bad("console.user: required: the name audit events give the person at the console, like alice")
	}
	checkDuration := func(key string, d, lo, hi time.Duration) {
		if d < lo || d > hi {
			bad("%s: %s is out of range: give a duration from %s to %s, like %s", key, d, lo, hi, lo*10)
		}
	}
	checkDuration("requests.expiry", c.Requests.Expiry, time.Second, 24*time.Hour)
	checkDuration("requests.check_interval", c.Requests.CheckInterval, 100*time.Millisecond, time.Minute)
	checkDuration("requests.check_timeout", c.Requests.CheckTimeout, time.Second, time.Hour)
	checkDuration("requests.abandon_after", c.Requests.AbandonAfter, time.Minute, 24*time.Hour)
	checkDuration("requests.target_wait", c.Requests.TargetWait, time.Second, 10*time.Minute)
	checkDuration("shutdown.timeout", c.Shutdown.Timeout, time.Second, 10*time.Minute)
	if longest, key := c.longestCall(); c.Requests.AbandonAfter <= longest {
		bad("requests.abandon_after: %s is not longer than the longest call %s can take (%s: its timeout, resends and token fetches), so a call still running would be reported abandoned: raise it above %s, or lower %s",
			c.Requests.AbandonAfter, key, longest, longest, key)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level: %q is not a level: use debug, info, warn or error", c.Log.Level)
	}
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	c.validateAccounts(bad, add)
	c.Slack.validate(bad)
	c.validatePolicy(bad, func(err error) { errs = append(errs, err) })
	c.Alerts.validate(c.Rules, c.Slack.Configured(), bad)
	c.validateStreams(bad)
	c.Targets.check("pipelines", c.Targets.Pipelines, c.EnOS.Configured(), "enos", bad)
	c.Targets.check("streams", c.Targets.Streams, c.EG.Configured(), "eg", bad)
	c.Targets.check("jobs", c.Targets.Jobs, c.EG.Configured(), "eg", bad)
	add(c.validDirectory().Validate())
	return errors.Join(errs...)
}

var hostPattern = regexp.MustCompile(`^[A-Za-z0-9.-]+$`)

func (Targets) check(kind string, m map[string]Target, providerSet bool, provider string, bad func(string, ...any)) {
	if len(m) > 0 && !providerSet {
		bad("targets.%s: aliases are set but the %s provider is not configured", kind, provider)
	}
	for alias, t := range m {
		if !ops.ValidAlias(alias) {
			bad("targets.%s.%s: an alias starts with a letter and has only letters, digits, '.', '_' and '-' (at most 64)", kind, alias)
		}
		if !ops.ValidID(t.ID) {
			bad("targets.%s.%s: %q is not a provider ID (letters, digits, '.', '_', '-')", kind, alias, t.ID)
		}
	}
}

// Directory is the targets' names in the shape the product's rules use:
// the aliases (an alias of a target that names its account stands for
// "account/ID"), the groups, and by kind the names of its provider's
// accounts, the default first.
func (c *Config) Directory() ops.Directory {
	aliases := func(m map[string]Target) map[string]string {
		if m == nil {
			return nil
		}
		out := make(map[string]string, len(m))
		for alias, t := range m {
			out[alias] = t.ID
			if t.Account != "" {
				out[alias] = t.Account + "/" + t.ID
			}
		}
		return out
	}
	d := ops.Directory{
		Aliases:  ops.Targets{"pipeline": aliases(c.Targets.Pipelines), "stream": aliases(c.Targets.Streams), "job": aliases(c.Targets.Jobs)},
		Groups:   c.Targets.Groups,
		Accounts: map[string][]string{},
	}
	if c.EnOS.Configured() {
		d.Accounts["pipeline"] = names(c.EnOS.All, func(a EnOSAccount) string { return a.Name })
	}
	if c.EG.Configured() {
		egNames := names(c.EG.All, func(a EGAccount) string { return a.Name })
		d.Accounts["stream"], d.Accounts["job"] = egNames, egNames
	}
	return d
}

func names[T any](accounts []T, name func(T) string) []string {
	out := make([]string, len(accounts))
	for i, a := range accounts {
		out[i] = name(a)
	}
	return out
}

// validDirectory is the Directory to check aliases and groups with: an
// account name already refused (validateAccounts names its key) is left
// out rather than reported again without one.
func (c *Config) validDirectory() ops.Directory {
	d := c.Directory()
	for kind, accounts := range d.Accounts {
		d.Accounts[kind] = slices.DeleteFunc(slices.Clone(accounts), func(a string) bool { return !ops.ValidAccount(a) })
	}
	return d
}

// explainYAML drops the decoder's "yaml: " from a syntax error.
func explainYAML(err error) error {
	return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
}

// longestCall is the longest a configured provider's operation can take,
// and the key of the timeout that sets it.
func (c *Config) longestCall() (time.Duration, string) {
	var longest time.Duration
	key := ""
	for _, a := range c.EnOS.All {
		if a.LongestCall() > longest {
			longest, key = a.LongestCall(), a.key+".timeout"
		}
	}
	for _, a := range c.EG.All {
		if a.LongestCall() > longest {
			longest, key = a.LongestCall(), a.key+".timeout"
		}
	}
	return longest, key
}
