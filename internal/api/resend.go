// Package api holds what the provider clients beneath it share: the rule for
// when a state-changing call may be sent again (apis.md §3).
package api

import (
	"errors"
	"net"
	"syscall"
)

// NotSent reports whether err proves that the request never reached the
// server, so that sending a state-changing call again cannot act twice.
// Only a failure to connect qualifies; a timeout or a reset after the request
// was written may have taken effect.
func NotSent(err error) bool {
	if err == nil {
		return false
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}
