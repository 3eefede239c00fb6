// Package api holds what the provider clients beneath it share: the rule for
// when a state-changing call may be sent again (docs/providers.md §3).
package api

import (
	"context"
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

// UncertainError is the failure of a state-changing call that may have
// reached the provider and taken effect: an answer that does not prove a
// refusal (a 5xx, a 2xx that cannot be read), a timeout, or a connection cut
// after the request was written. It is an uncertain outcome, not a failure:
// the target's status must be read to know what happened.
type UncertainError struct {
	// Reason says in words why the outcome is unknown, like "EventGrid
	// answered HTTP 502".
	Reason string
	Err    error
}

func (e *UncertainError) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *UncertainError) Unwrap() error { return e.Err }

// UncertainReason says why the outcome is unknown; callers that import no
// client find the error by this method.
func (e *UncertainError) UncertainReason() string { return e.Reason }

// Uncertain marks err, the failure of a state-changing call, as an
// uncertain outcome unless it proves the call never reached the server.
// A nil err stays nil.
func Uncertain(reason string, err error) error {
	if err == nil || NotSent(err) {
		return err
	}
	return &UncertainError{Reason: reason, Err: err}
}

// TransportReason words a transport error for a person: a timeout, or an
// answer that never came.
func TransportReason(provider string, err error) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return provider + " did not answer in time"
	}
	return "the connection to " + provider + " broke before its answer arrived"
}
