package bus

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	defaultListen   = "127.0.0.1:4222"
	defaultStoreDir = "./data/nats"
)

// Config says which NATS to use: an external server or cluster, or an
// embedded server with JetStream that this process runs itself.
type Config struct {
	URL      string `yaml:"url"`       // empty: start an embedded nats-server with JetStream
	Listen   string `yaml:"listen"`    // embedded server's client address, default "127.0.0.1:4222"; port 0 or -1 = random (tests)
	StoreDir string `yaml:"store_dir"` // embedded JetStream data directory, default "./data/nats"
	// Token authenticates to the server. For the embedded server it is the
	// token it requires; empty, one is generated and kept in store_dir.
	Token string `yaml:"token"`
	Creds string `yaml:"creds"` // a .creds file (JWT and NKey) for an outside server
	TLS   TLS    `yaml:"tls"`
	// Replicas is how many servers of a cluster keep each copy of the KV
	// buckets and the audit stream (1, 3 or 5); default 1.
	Replicas int `yaml:"replicas"`
	// AuditRetention is how long audit events are kept (the config's
	// audit.retention); default 90 days.
	AuditRetention time.Duration `yaml:"-"`
	// AuditMaxBytes bounds the audit stream (the config's audit.max_bytes);
	// default 1 GiB.
	AuditMaxBytes int64 `yaml:"-"`
}

// TLS is how to reach an outside server over TLS: the CA that signed its
// certificate and, for mutual TLS, this client's certificate and key.
type TLS struct {
	CA   string `yaml:"ca"`
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// ApplyEnv takes the token from NATS_TOKEN when the file has none.
func (c *Config) ApplyEnv(getenv func(string) string) {
	if c.Token == "" {
		c.Token = getenv("NATS_TOKEN")
	}
}

func (c Config) withDefaults() Config {
	if c.Listen == "" {
		c.Listen = defaultListen
	}
	if c.StoreDir == "" {
		c.StoreDir = defaultStoreDir
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.AuditRetention == 0 {
		c.AuditRetention = DefaultAuditRetention
	}
	if c.AuditMaxBytes == 0 {
		c.AuditMaxBytes = DefaultAuditMaxBytes
	}
	return c
}

// Validate reports the first setting that cannot work, naming its key.
// Listen is checked by the config package with the other listen addresses
// (and refused by splitListen at start); a StoreDir that cannot be used shows
// when the server starts.
func (c Config) Validate() error {
	if c.Token != "" && c.Creds != "" {
		return fmt.Errorf("nats.token, nats.creds: give one way to authenticate, not both")
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		return fmt.Errorf("nats.tls.cert, nats.tls.key: a client certificate needs its key, and the key its certificate")
	}
	if c.URL == "" && (c.Creds != "" || c.TLS != TLS{}) {
		return fmt.Errorf("nats.creds, nats.tls: these are for an outside server (nats.url); the embedded server uses nats.token")
	}
	if c.Replicas != 0 && c.Replicas != 1 && c.Replicas != 3 && c.Replicas != 5 {
		return fmt.Errorf("nats.replicas: %d: give 1, 3 or 5 (a cluster of at least that many servers keeps each copy)", c.Replicas)
	}
	if c.URL == "" && c.Replicas > 1 {
		return fmt.Errorf("nats.replicas: %d needs a cluster (nats.url); the embedded server is one server", c.Replicas)
	}
	if c.URL != "" {
		for i, u := range strings.Split(c.URL, ",") {
			if err := validateServerURL(strings.TrimSpace(u)); err != nil {
				return fmt.Errorf("nats.url, server %d: %w", i+1, err)
			}
		}
		return nil
	}
	return nil
}

// validateServerURL accepts what nats.Connect accepts: a URL with a scheme
// nats.go knows, or a bare host:port. Errors leave credentials out.
func validateServerURL(s string) error {
	if s == "" {
		return fmt.Errorf("empty; expected e.g. nats://host:4222[,nats://host2:4222]")
	}
	if !strings.Contains(s, "://") {
		s = "nats://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL; expected e.g. nats://host:4222")
	}
	switch u.Scheme {
	case "nats", "tls", "ws", "wss":
	default:
		return fmt.Errorf("%s: scheme must be nats, tls, ws or wss", redactURL(u))
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%s has no host; expected e.g. nats://host:4222", redactURL(u))
	}
	return nil
}

// splitListen parses host:port; port 0 and -1 both mean a random port, which
// nats-server spells -1 (its 0 means the default 4222).
func splitListen(s string) (host string, port int, err error) {
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("must be host:port, e.g. %s (got %q)", defaultListen, s)
	}
	port, err = strconv.Atoi(p)
	if err != nil || port < -1 || port > 65535 {
		return "", 0, fmt.Errorf("port must be a number from 1 to 65535, or 0 or -1 for a random port (got %q)", p)
	}
	if port == 0 {
		port = -1
	}
	return host, port, nil
}

// redactURLs hides credentials in a comma-separated server list so that it
// can go into errors and logs.
func redactURLs(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil {
			parts[i] = redactURL(u)
		}
	}
	return strings.Join(parts, ",")
}

// redactURL hides the user part whole: a NATS token sits where a user name
// would.
func redactURL(u *url.URL) string {
	if u.User == nil {
		return u.String()
	}
	r := *u
	r.User = url.User("redacted")
	return r.String()
}
