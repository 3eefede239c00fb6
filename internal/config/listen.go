package config

import (
	"fmt"
	"net"
	"strconv"
)

// listenAddr is one address the bot or `bot simulate` listens on.
type listenAddr struct {
	key  string // like sandbox.eg.listen
	addr string
	host string
	port int
}

// listenAddrs are the configured listen addresses that will be used: the
// embedded NATS server's only without nats.url, each account's simulator's
// (`bot simulate` serves them). `bot serve` and
// `bot simulate` may run side by side, so all of them must differ.
func (c *Config) listenAddrs() []listenAddr {
	var out []listenAddr
	add := func(key, addr string, used bool) {
		if used && addr != "" {
			out = append(out, listenAddr{key: key, addr: addr})
		}
	}
	add("http.listen", c.HTTP.Listen, true)
	natsListen := c.NATS.Listen
	if natsListen == "" {
		natsListen = defaultNATSListen
	}
	add("nats.listen", natsListen, c.NATS.URL == "")
	for _, a := range c.EnOS.All {
		add(a.SandboxKey()+".listen", a.Sandbox.Listen, true)
	}
	for _, a := range c.EG.All {
		add(a.SandboxKey()+".listen", a.Sandbox.Listen, true)
	}
	return out
}

// defaultNATSListen is where the embedded NATS server listens when
// nats.listen is left out, as internal/bus defaults it.
const defaultNATSListen = "127.0.0.1:4222"

// checkListen is the one check of a listen address: host:port, the host a
// name, an IP address or empty (every interface), the port 0 to 65535, where
// 0 picks a free port.
func checkListen(s string) (host string, port int, err error) {
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("%q is not host:port (like 127.0.0.1:8080)", s)
	}
	if host != "" && net.ParseIP(host) == nil && !hostPattern.MatchString(host) {
		return "", 0, fmt.Errorf("%q: %q is not a host name or IP address", s, host)
	}
	port, err = strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 || strconv.Itoa(port) != p {
		return "", 0, fmt.Errorf("%q: the port must be a number from 0 to 65535 (0 picks a free one)", s)
	}
	return host, port, nil
}

// checkListenAddrs checks each address and reports every pair that would
// take the same port: the second to start would fail with "address in use".
func checkListenAddrs(addrs []listenAddr, bad func(string, ...any)) {
	var ok []listenAddr
	for _, a := range addrs {
		host, port, err := checkListen(a.addr)
		if err != nil {
			bad("%s: %v", a.key, err)
			continue
		}
		a.host, a.port = host, port
		for _, b := range ok {
			if a.port != 0 && a.port == b.port && sameInterface(a.host, b.host) {
				bad("%s: %q takes the same port as %s (%q): give each its own port", a.key, a.addr, b.key, b.addr)
			}
		}
		ok = append(ok, a)
	}
}

// sameInterface reports whether two listen hosts can clash: the same host,
// either one every interface, or localhost and a loopback address.
func sameInterface(a, b string) bool {
	every := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	loopback := func(h string) bool {
		ip := net.ParseIP(h)
		return h == "localhost" || (ip != nil && ip.IsLoopback())
	}
	localhost := (a == "localhost" && loopback(b)) || (b == "localhost" && loopback(a))
	return a == b || every(a) || every(b) || localhost
}
