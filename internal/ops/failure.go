package ops

import (
	"errors"
	"fmt"
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

// uncertainError is a client's failure of a call that may have taken
// effect (an api.UncertainError): an interface, so that ops imports no client.
type uncertainError interface {
	error
	UncertainReason() string
	Unwrap() error
}

// failureOf turns a failed call into what a person on call needs to read.
// It is uncertain only when the client said the call may have acted.
func failureOf(err error) *Failure {
	f := &Failure{}
	var ue uncertainError
	if errors.As(err, &ue) {
		f.Uncertain, f.Reason = true, ue.UncertainReason()
		err = ue.Unwrap()
	}
	var pe providerError
	if errors.As(err, &pe) {
		// Keep what the bot said around the provider's error, like "nothing was sent".
		f.Context = strings.TrimSuffix(strings.TrimSuffix(err.Error(), pe.Error()), ": ")
		f.Code, f.Message, f.RequestID = pe.ProviderCode(), pe.ProviderMessage(), pe.ProviderRequestID()
	} else {
		f.Message = err.Error()
	}
	f.Reason, f.Context, f.Code = PlainText(f.Reason), PlainText(f.Context), PlainText(f.Code)
	f.Message, f.RequestID = PlainText(f.Message), PlainText(f.RequestID)
	return f
}

// FailureText words a failed call as Failure.Text does, for a provider's
// operation that reports a failed read in a sentence of its own.
func FailureText(err error) string { return failureOf(err).Text() }

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

// describeReadError words a failed read for the person who asked: a read
// changes nothing, so it is never an uncertain outcome.
func describeReadError(op *operation, r Request, err error) error {
	what := op.Name
	if r.Target.ID != "" {
		what = fmt.Sprintf("%s %s", op.Name, r.Target.Name())
	}
	return fmt.Errorf("%s failed: %s", what, failureOf(err).Text())
}
