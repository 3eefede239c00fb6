package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamops/streamops/internal/ops"
)

const eventSubjectPrefix = "streamops.events."

// EventSubjects matches the subject of every audit event.
const EventSubjects = eventSubjectPrefix + ">"

// EventSubject is the subject of an event that moves a request to state s.
func EventSubject(s ops.State) string { return eventSubjectPrefix + string(s) }

// Events publishes audit events as JSON on streamops.events.<state>, into
// the audit stream that Connect makes sure of, and waits for the stream to
// have stored each one: an event the trail lacks is an error here, and is
// logged with the audit line written alongside it.
type Events struct {
	nc *nats.Conn
	js jetstream.JetStream // nil: core NATS only (tests of the subjects)
}

var _ ops.Publisher = (*Events)(nil)

// Publish sends e and waits for the server to have it, so that a lost
// connection is an error here rather than a silently dropped event.
func (p *Events) Publish(ctx context.Context, e ops.Event) error {
	if e.State == "" || strings.ContainsAny(string(e.State), ".*> \t\r\n") {
		return fmt.Errorf("publish event for request %s: state %q cannot be a subject token", e.RequestID, e.State)
	}
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("publish event for request %s: %w", e.RequestID, err)
	}
	subject := EventSubject(e.State)
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	if p.js != nil {
		if _, err := p.js.Publish(ctx, subject, data); err != nil {
			return fmt.Errorf("publish %s for request %s: %w", subject, e.RequestID, err)
		}
		return nil
	}
	if err := p.nc.Publish(subject, data); err != nil {
		return fmt.Errorf("publish %s for request %s: %w", subject, e.RequestID, err)
	}
	if err := p.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("publish %s for request %s: flush: %w", subject, e.RequestID, err)
	}
	return nil
}

// Watch calls f with each audit event as it is published, by any replica,
// until stop; f runs on the subscription's goroutine, so it must not
// block. An event that does not decode is skipped: the trail keeps it.
func (p *Events) Watch(f func(ops.Event)) (stop func() error, err error) {
	sub, err := p.nc.Subscribe(EventSubjects, func(m *nats.Msg) {
		var e ops.Event
		if json.Unmarshal(m.Data, &e) == nil {
			f(e)
		}
	})
	if err == nil {
		err = p.nc.Flush() // in place on the server before the first event
	}
	if err != nil {
		return nil, fmt.Errorf("nats: subscribing to %s: %w", EventSubjects, err)
	}
	return sub.Unsubscribe, nil
}
