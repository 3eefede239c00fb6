package ops

import (
	"context"
	"time"
)

// Notice is something a person should see that did not come as the answer
// to their own input: an expiry, or the status read after a call. A notice
// without Text only says that the request was decided (perhaps from another
// front end or replica), so that a front end showing it can bring it up to
// date.
type Notice struct {
	Request Request
	Text    string
	Kind    NoticeKind
}

// NoticeKind is what a notice is, for front ends that show kinds apart.
type NoticeKind int

const (
	// Update: an outcome, an expiry, a status read after a call.
	Update NoticeKind = iota
	// Reminder: a pending request's time is running out; front ends name
	// who may confirm it (Request.Confirmers).
	Reminder
)

// Notifier delivers notices to the front end a request came from.
type Notifier interface {
	Notify(ctx context.Context, n Notice)
}

// frontEnds hands each notice to every front end; each keeps to the
// requests that came from it.
type frontEnds []Notifier

func (fs frontEnds) Notify(ctx context.Context, n Notice) {
	for _, f := range fs {
		f.Notify(ctx, n)
	}
}

// Started tells the front ends that show running calls.
func (fs frontEnds) Started(ctx context.Context, r Request) {
	for _, f := range fs {
		if st, ok := f.(Starter); ok {
			st.Started(ctx, r)
		}
	}
}

// Metrics counts what the service does.
type Metrics interface {
	Transition(op string, to State)
	// ProviderCall records a call of op in the account named (never empty:
	// DefaultAccount for the default).
	ProviderCall(provider, account, op string, took time.Duration, err error)
	// StatusCheck counts how a status check ended: CheckReached,
	// CheckTimedOut or CheckStopped.
	StatusCheck(op, result string)
}
