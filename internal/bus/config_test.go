package bus

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // in the error; empty: valid
	}{
		{name: "defaults", cfg: Config{}},
		{name: "random port", cfg: Config{Listen: "127.0.0.1:0"}},
		{name: "random port, nats-server spelling", cfg: Config{Listen: "127.0.0.1:-1"}},
		{name: "all interfaces", cfg: Config{Listen: ":4222"}},
		{name: "ipv6", cfg: Config{Listen: "[::1]:4222"}},
		{name: "url", cfg: Config{URL: "nats://nats.internal:4222"}},
		{name: "cluster", cfg: Config{URL: "nats://a:4222, nats://b:4222,tls://c:4222"}},
		{name: "url without scheme", cfg: Config{URL: "nats.internal:4222"}},
		{name: "url ignores listen", cfg: Config{URL: "nats://a:4222", Listen: "bad"}},
		{name: "url with an empty entry", cfg: Config{URL: "nats://a:4222,"}, want: "nats.url, server 2: empty"},
		{name: "url scheme", cfg: Config{URL: "http://a:4222"}, want: "nats.url, server 1: http://a:4222: scheme must be"},
		{name: "url scheme, token hidden", cfg: Config{URL: "nats://a:4222,http://s3cret@b:4222"}, want: "nats.url, server 2: http://redacted@b:4222: scheme must be"},
		{name: "url without host", cfg: Config{URL: "nats://:4222"}, want: "nats.url, server 1: nats://:4222 has no host"},
		{name: "url unparsable", cfg: Config{URL: "nats://a b:42"}, want: "nats.url, server 1: not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestConfigValidateAuth(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{URL: "nats://h:4222", Token: "t", Creds: "/x.creds"}, "nats.token, nats.creds: give one way to authenticate, not both"},
		{Config{URL: "nats://h:4222", TLS: TLS{Cert: "/c.pem"}}, "nats.tls.cert, nats.tls.key: a client certificate needs its key"},
		{Config{Creds: "/x.creds"}, "nats.creds, nats.tls: these are for an outside server (nats.url)"},
		{Config{TLS: TLS{CA: "/ca.pem"}}, "nats.creds, nats.tls: these are for an outside server (nats.url)"},
	} {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.cfg, err, c.want)
		}
	}
	ok := Config{URL: "tls://h:4222", Creds: "/x.creds", TLS: TLS{CA: "/ca.pem", Cert: "/c.pem", Key: "/k.pem"}}
	if err := ok.Validate(); err != nil {
		t.Errorf("creds with mutual TLS: %v", err)
	}
}
