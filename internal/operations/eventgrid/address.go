package eventgrid

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/streamops/streamops/internal/ops"
)

// parseAddresses reads a comma-separated list of IPv4 or IPv6 addresses,
// each with an optional port ("10.0.0.1:9092", "[fd00::1]:9092", "fd00::1"),
// and returns them normalised and sorted, so that two lists naming the same
// addresses compare equal.
func parseAddresses(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, ops.InputErrorf("no address given: write IP addresses with optional ports, comma-separated, like 10.0.0.1:9092,10.0.0.2:9092")
	}
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		norm, ok := normaliseAddress(part)
		if !ok {
			return nil, ops.InputErrorf("%q is not an IP address with an optional port (like 10.0.0.1:9092 or [fd00::1]:9092)", part)
		}
		if slices.Contains(out, norm) {
			return nil, ops.InputErrorf("%q is given twice", part)
		}
		out = append(out, norm)
	}
	slices.Sort(out)
	return out, nil
}

func normaliseAddress(s string) (string, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Port() != 0 {
		return ap.String(), true
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.String(), true
	}
	return "", false
}

// sameAddresses compares an address list a person gave with one the provider
// reported, which may not parse (a host name): then as plain text.
func sameAddresses(given []string, reported string) bool {
	theirs, err := parseAddresses(reported)
	if err != nil {
		return strings.Join(given, ",") == strings.TrimSpace(reported)
	}
	return slices.Equal(given, theirs)
}
