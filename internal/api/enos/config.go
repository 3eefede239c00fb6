package enos

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// SandboxEndpoint as enos.endpoint asks for the in-process simulator.
const SandboxEndpoint = "sandbox"

// DefaultTimeout bounds each HTTP call when enos.timeout is left out.
const DefaultTimeout = 10 * time.Second

const maxTimeout = 2 * time.Minute

// Config is the `enos:` section of the bot's config.
type Config struct {
	Endpoint  string        `yaml:"endpoint"` // API gateway base URL (http/https), or "sandbox"
	OrgID     string        `yaml:"org_id"`
	AppKey    string        `yaml:"app_key"`
	AppSecret string        `yaml:"app_secret"`
	Timeout   time.Duration `yaml:"timeout"` // per HTTP call; 0 means 10s
}

// EnvPrefix starts the names of the variables ApplyEnv reads:
// ENOS_APP_KEY and ENOS_APP_SECRET.
const EnvPrefix = "ENOS"

// Validate reports every missing or malformed key. The secret's value never
// appears in an error.
func (c Config) Validate() error { return c.ValidateAs("enos", EnvPrefix) }

// ValidateAs is Validate for the section at key (like enos[1]) whose
// secrets come from the variables ApplyEnvAs(envPrefix) reads.
func (c Config) ValidateAs(key, envPrefix string) error {
	var errs []error
	fail := func(sub, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", key, sub, fmt.Sprintf(format, args...)))
	}

	switch {
	case c.Endpoint == "":
		fail("endpoint", `required (the EnOS API gateway URL, like https://apim.example.com, or "sandbox")`)
	case c.Endpoint != SandboxEndpoint:
		u, err := url.Parse(c.Endpoint)
		if err != nil {
			fail("endpoint", "%q is not an http(s) URL or %q", c.Endpoint, SandboxEndpoint)
		} else if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fail("endpoint", "%q is not an http(s) URL or %q", u.Redacted(), SandboxEndpoint)
		} else if u.RawQuery != "" || u.Fragment != "" {
			fail("endpoint", "%q must not carry a query or fragment", u.Redacted())
		}
	}

	switch {
	case c.OrgID == "":
		fail("org_id", "required (the EnOS organization ID, like o15...)")
	case !isIdentifier(c.OrgID):
		fail("org_id", "%q may hold only letters, digits, '-', '_' and '.'", c.OrgID)
	}

	switch {
	case c.AppKey == "":
		fail("app_key", "required (the application's access key; or set %s_APP_KEY)", envPrefix)
	case !isIdentifier(c.AppKey):
		fail("app_key", "%q may hold only letters, digits, '-', '_' and '.'", c.AppKey)
	}

	switch {
	case c.AppSecret == "":
		fail("app_secret", "required (the application's secret key; or set %s_APP_SECRET)", envPrefix)
	case strings.IndexFunc(c.AppSecret, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		fail("app_secret", "contains whitespace or a control character (a stray space or newline?)")
	}

	if c.Timeout < 0 {
		fail("timeout", "%s is negative (leave it out for the default %s)", c.Timeout, DefaultTimeout)
	}
	if c.Timeout > maxTimeout {
		fail("timeout", "%s is too long: at most %s, or a stuck call holds its request (and a shutdown) that long", c.Timeout, maxTimeout)
	}
	return errors.Join(errs...)
}

// ApplyEnv lets the environment override the credentials, so that they need
// not be written in the config file.
func (c *Config) ApplyEnv(getenv func(string) string) { c.ApplyEnvAs(EnvPrefix, getenv) }

// ApplyEnvAs is ApplyEnv for an account whose variables start with prefix
// instead of ENOS: prefix_APP_KEY and prefix_APP_SECRET.
func (c *Config) ApplyEnvAs(prefix string, getenv func(string) string) {
	if v := getenv(prefix + "_APP_KEY"); v != "" {
		c.AppKey = v
	}
	if v := getenv(prefix + "_APP_SECRET"); v != "" {
		c.AppSecret = v
	}
}

// LongestCall bounds how long one state-changing operation can take: at
// most four sends (the first, one after a refused token, two after failures
// to connect) and two token fetches, each within the timeout, and the
// pauses between resends.
func (c Config) LongestCall() time.Duration {
	return 6*c.timeout() + defaultRetryWait*(1+2)
}

func (c Config) timeout() time.Duration {
	if c.Timeout == 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

func isIdentifier(s string) bool {
	for _, r := range s {
		ok := r == '-' || r == '_' || r == '.' ||
			('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
		if !ok {
			return false
		}
	}
	return s != ""
}
