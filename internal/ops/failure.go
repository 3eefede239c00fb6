package ops

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// providerError is what the provider clients' errors offer, so that the
// provider's code, message and request ID reach the chat unchanged.
type providerError interface {
	error
	ProviderCode() string
	ProviderMessage() string
	ProviderRequestID() string
}

// failureOf turns a failed call into what a person on call needs to read.
func failureOf(err error) *Failure {
	var pe providerError
	if errors.As(err, &pe) {
		// Keep what the bot said around the provider's error, like "nothing was sent".
		context := strings.TrimSuffix(strings.TrimSuffix(err.Error(), pe.Error()), ": ")
		return &Failure{Context: context, Code: pe.ProviderCode(), Message: pe.ProviderMessage(), RequestID: pe.ProviderRequestID()}
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return &Failure{
			Message:   "the provider did not answer in time, so it may or may not have acted. Check the target's status before asking again (" + err.Error() + ")",
			Uncertain: true,
		}
	}
	return &Failure{Message: err.Error()}
}

// Text is the failure as one line: what the bot was doing, the provider's
// code and message, and its request ID.
func (f *Failure) Text() string {
	s := f.Message
	if f.Code != "" {
		s = fmt.Sprintf("%s %s", f.Code, f.Message)
	}
	if f.Context != "" {
		s = f.Context + ": " + s
	}
	if f.RequestID != "" {
		s += fmt.Sprintf(" (request ID %s)", f.RequestID)
	}
	return s
}

// describeReadError words a failed read for the person who asked.
func describeReadError(op *operation, r Request, err error) error {
	what := op.name
	if r.Target.ID != "" {
		what = fmt.Sprintf("%s %s", op.name, r.Target.Name())
	}
	return fmt.Errorf("%s failed: %s", what, failureOf(err).Text())
}
