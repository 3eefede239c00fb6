package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/streamops/streamops/internal/ops"
)

const eventSubjectPrefix = "streamops.events."

// EventSubjects matches the subject of every audit event.
const EventSubjects = eventSubjectPrefix + ">"

// EventSubject is the subject of an event that moves a request to state s.
func EventSubject(s ops.State) string { return eventSubjectPrefix + string(s) }

// Events publishes audit events as JSON on streamops.events.<state>.
//
// They go out on core NATS, not JetStream: an event is a live feed for other
// automation, the log line written with it is the record, and the request's
// own state lives in the KV bucket. An operator who wants the feed kept can
// add a stream on streamops.events.> and it captures these publishes as they
// are, whereas a JetStream publish would fail on every server that lacks
// such a stream.
type Events struct {
	nc *nats.Conn
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
	if err := p.nc.Publish(subject, data); err != nil {
		return fmt.Errorf("publish %s for request %s: %w", subject, e.RequestID, err)
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	if err := p.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("publish %s for request %s: flush: %w", subject, e.RequestID, err)
	}
	return nil
}
