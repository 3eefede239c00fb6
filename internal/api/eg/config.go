// Package eg is the client for Huawei Cloud EventGrid
// (docs/providers.md §1): event streamings and professional event stream
// jobs, with token, IAM password and AK/SK authentication and the resend
// rules of docs/providers.md §3.
package eg

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Sandbox is the Endpoint value that selects the in-process simulator.
const Sandbox = "sandbox"

// Config is the `eg:` section of the bot's configuration.
type Config struct {
	Endpoint    string                 `yaml:"endpoint"`     // https://eg.{region}.myhuaweicloud.com, or "sandbox"
	IAMEndpoint string                 `yaml:"iam_endpoint"` // https://iam.{region}.myhuaweicloud.com; auth.mode password only
	Region      string                 `yaml:"region"`
	ProjectID   string                 `yaml:"project_id"`
	Auth        Auth                   `yaml:"auth"`
	Timeout     time.Duration          `yaml:"timeout"` // per HTTP call; 0 means 10s
	Operations  Operations             `yaml:"operations"`
	Templates   map[string]JobTemplate `yaml:"templates"`
}

// Auth selects and holds the credentials. Secrets may come from the
// environment instead (see ApplyEnv).
type Auth struct {
	Mode      string `yaml:"mode"`  // "token" | "password" | "aksk"
	Token     string `yaml:"token"` // env EG_TOKEN
	Domain    string `yaml:"domain"`
	User      string `yaml:"user"`
	Password  string `yaml:"password"`   // env EG_PASSWORD
	AccessKey string `yaml:"access_key"` // env EG_ACCESS_KEY
	SecretKey string `yaml:"secret_key"` // env EG_SECRET_KEY
}

// Auth modes.
const (
	AuthToken    = "token"
	AuthPassword = "password"
	AuthAKSK     = "aksk"
)

// Operations are the job action strings for stop and switchover. The provider
// documents only START, so these come from the configuration; an empty one
// means the bot cannot offer that command.
type Operations struct {
	Stop   string `yaml:"stop"`
	Switch string `yaml:"switch"`
}

var (
	regionRe    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)
	projectIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	operationRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
	templateRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// EnvPrefix starts the names of the variables ApplyEnv reads: EG_TOKEN,
// EG_PASSWORD, EG_ACCESS_KEY and EG_SECRET_KEY.
const EnvPrefix = "EG"

// ApplyEnv fills secrets from the environment; a set variable wins over the
// file. Template passwords are read from the variables the templates name.
func (c *Config) ApplyEnv(getenv func(string) string) { c.ApplyEnvAs(EnvPrefix, getenv) }

// ApplyEnvAs is ApplyEnv for an account whose variables start with prefix
// instead of EG: prefix_TOKEN, prefix_PASSWORD, prefix_ACCESS_KEY and
// prefix_SECRET_KEY.
func (c *Config) ApplyEnvAs(prefix string, getenv func(string) string) {
	for _, s := range []struct {
		dst *string
		env string
	}{
		{&c.Auth.Token, prefix + "_TOKEN"},
		{&c.Auth.Password, prefix + "_PASSWORD"},
		{&c.Auth.AccessKey, prefix + "_ACCESS_KEY"},
		{&c.Auth.SecretKey, prefix + "_SECRET_KEY"},
	} {
		if v := getenv(s.env); v != "" {
			*s.dst = v
		}
	}
	for name, t := range c.Templates {
		c.Templates[name] = t.withPasswords(getenv)
	}
}

// Validate checks the configuration as it will be used, that is after
// ApplyEnv. Errors name the key and never contain a secret's value.
func (c Config) Validate() error { return c.ValidateAs("eg", EnvPrefix) }

// ValidateAs is Validate for the section at key (like eg[1]) whose secrets
// come from the variables ApplyEnvAs(envPrefix) reads.
func (c Config) ValidateAs(key, envPrefix string) error {
	var errs []error
	bad := func(sub, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", key, sub, fmt.Sprintf(format, args...)))
	}
	c.validateService(bad)
	c.validateAuth(bad, envPrefix)
	c.validateOperations(bad)
	c.validateTemplates(bad)
	return errors.Join(errs...)
}

// complaint reports one key's problem.
type complaint func(key, format string, args ...any)

// validateService checks where the service is and how long a call may take.
func (c Config) validateService(bad complaint) {
	if c.Endpoint != Sandbox {
		if err := checkURL(c.Endpoint); err != nil {
			bad("endpoint", "%s: want %q or an https URL such as https://eg.{region}.myhuaweicloud.com", err, Sandbox)
		}
	}
	if !regionRe.MatchString(c.Region) {
		bad("region", "want a region ID such as cn-north-4, got %q", c.Region)
	}
	if !projectIDRe.MatchString(c.ProjectID) {
		bad("project_id", "want the project ID (letters, digits, '-', '_'), got %q", c.ProjectID)
	}
	if c.Timeout < 0 {
		bad("timeout", "must not be negative, got %s", c.Timeout)
	}
	if c.Timeout > maxTimeout {
		bad("timeout", "%s is too long: at most %s, or a stuck call holds its request (and a shutdown) that long", c.Timeout, maxTimeout)
	}
}

// validateAuth checks that the auth mode has what it needs; env starts
// the names of the variables the secrets may come from.
func (c Config) validateAuth(bad complaint, env string) {
	a := c.Auth
	switch a.Mode {
	case AuthToken:
		if a.Token == "" {
			bad("auth.token", "required for auth.mode %s (or set %s_TOKEN)", AuthToken, env)
		}
	case AuthPassword:
		c.validatePassword(bad, env)
	case AuthAKSK:
		if a.AccessKey == "" {
			bad("auth.access_key", "required for auth.mode %s (or set %s_ACCESS_KEY)", AuthAKSK, env)
		}
		if a.SecretKey == "" {
			bad("auth.secret_key", "required for auth.mode %s (or set %s_SECRET_KEY)", AuthAKSK, env)
		}
	default:
		bad("auth.mode", "want %s, %s or %s, got %q", AuthToken, AuthPassword, AuthAKSK, a.Mode)
	}
}

// validatePassword checks auth mode password: an IAM endpoint (the
// sandbox serves its own) and the user's domain, name and password.
func (c Config) validatePassword(bad complaint, env string) {
	if c.Endpoint != Sandbox {
		switch err := checkURL(c.IAMEndpoint); {
		case c.IAMEndpoint == "":
			bad("iam_endpoint", "required for auth.mode %s: an https URL such as https://iam.{region}.myhuaweicloud.com", AuthPassword)
		case err != nil:
			bad("iam_endpoint", "%s: want an https URL such as https://iam.{region}.myhuaweicloud.com", err)
		}
	}
	for _, f := range []struct{ key, value, what string }{
		{"auth.domain", c.Auth.Domain, "the IAM domain (account) name"},
		{"auth.user", c.Auth.User, "the IAM user name"},
	} {
		if f.value == "" {
			bad(f.key, "required for auth.mode %s: %s", AuthPassword, f.what)
		}
	}
	if c.Auth.Password == "" {
		bad("auth.password", "required for auth.mode %s (or set %s_PASSWORD)", AuthPassword, env)
	}
}

// validateOperations checks the job action names of stop and switch.
func (c Config) validateOperations(bad complaint) {
	for key, op := range map[string]string{"stop": c.Operations.Stop, "switch": c.Operations.Switch} {
		switch {
		case op == "":
		case !operationRe.MatchString(op):
			bad("operations."+key, "want an operation name (a letter, then letters, digits or '_'), got %q", op)
		case op == JobStart:
			bad("operations."+key, "must differ from %s", JobStart)
		}
	}
	if c.Operations.Stop != "" && c.Operations.Stop == c.Operations.Switch {
		bad("operations.switch", "must differ from operations.stop")
	}
}

// validateTemplates checks each job template's name and that it renders.
func (c Config) validateTemplates(bad complaint) {
	names := make([]string, 0, len(c.Templates))
	for name := range c.Templates {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !templateRe.MatchString(name) {
			bad("templates", "template name %q: want letters, digits, '.', '_' or '-', starting with a letter or digit", name)
			continue
		}
		if _, err := c.Templates[name].Render("template-check", "", nil); err != nil {
			bad("templates."+name, "%v", err)
		}
	}
}

func checkURL(raw string) error {
	if raw == "" {
		return errors.New("required")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL", shownURL(raw))
	case (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return fmt.Errorf("%q is not an http(s) URL with a host", shownURL(raw))
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fmt.Errorf("%q has a query, fragment or user info", shownURL(raw))
	}
	return nil
}

// maxTimeout is the longest timeout per HTTP call the config may set.
const maxTimeout = 2 * time.Minute

// maxThrottleWait is the longest pause before a resend (2-5 s).
const maxThrottleWait = 5 * time.Second

// LongestCall bounds how long one state-changing operation can take. The
// switchover first reads the job: up to maxAttempts sends and the pauses
// between them. The call itself: maxAttempts sends and one more after a
// refused token, with their pauses. In password mode, up to two IAM token
// fetches, each up to maxAttempts sends with pauses.
func (c Config) LongestCall() time.Duration {
	t := c.Timeout
	if t == 0 {
		t = DefaultTimeout
	}
	attempts := func(n int) time.Duration { return time.Duration(n)*t + time.Duration(n-1)*maxThrottleWait }
	return attempts(maxAttempts) + attempts(maxAttempts+1) + 2*attempts(maxAttempts)
}

// shownURL is raw as the user wrote it, except for user info, which may
// hold a password.
func shownURL(raw string) string {
	if scheme, rest, ok := strings.Cut(raw, "://"); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			return scheme + "://redacted@" + rest[at+1:]
		}
	}
	return raw
}
