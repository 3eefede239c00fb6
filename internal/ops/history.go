package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Trail reads the audit trail back: every event since a time, oldest
// first (a JetStream stream on streamops.events.>).
type Trail interface {
	Events(ctx context.Context, since time.Time) ([]Event, error)
}

// historySpan is how far back `history` looks.
const historySpan = 7 * 24 * time.Hour

// historyLines bounds what `history` shows: the latest lines.
const historyLines = 60

// history lists the events of the requests made where it is asked (a
// channel, or the console), in order, for an incident's timeline; its word
// is a target (alias or ID) or a request's ID.
func (s *Service) history() *operation {
	return &operation{
		subject: true,
		Spec: Spec{Name: "history", Usage: "[alias, ID, @group or request ID]", Summary: "list this channel's requests of the last 7 days and what happened to them, in order",
			Read: func(ctx context.Context, r Request) (string, error) {
				events, err := s.trail.Events(ctx, s.now().Add(-historySpan))
				if err != nil {
					return "", fmt.Errorf("could not read the audit trail from NATS: %w", err)
				}
				var lines []string
				for _, e := range events {
					if !r.Origin.lists(e.Origin) {
						continue
					}
					if word := r.Args["target"]; word != "" && !e.names(word) && e.RequestID != word {
						continue
					}
					lines = append(lines, e.Line())
				}
				if len(lines) == 0 {
					return "No requests here in the last 7 days.", nil
				}
				if len(lines) > historyLines {
					lines = append([]string{fmt.Sprintf("(the last %d of %d events)", historyLines, len(lines))}, lines[len(lines)-historyLines:]...)
				}
				return strings.Join(lines, "\n"), nil
			}},
	}
}

// lists reports whether a history asked at o lists a request made at
// made: in a channel, the requests whose card was there; at the console,
// its own and those automation made (alerts, streamops.requests), which it
// shows and confirms when no channel does.
func (o Origin) lists(made Origin) bool {
	if o.Channel != "" {
		return made.Channel == o.Channel
	}
	return made.Frontend == o.Frontend || slices.Contains(automated, made.Frontend)
}

// Is reports whether word names t: its alias or its ID, after its account
// and "/" or not.
func (t Target) Is(word string) bool {
	if account, rest, ok := strings.Cut(word, "/"); ok {
		return t.Key().Account == account && t.Is(rest)
	}
	return word != "" && (t.Alias == word || t.ID == word)
}

// Line is an event on one line, for `history` and `bot audit`.
func (e Event) Line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s  %-10s %s %s", e.Time.UTC().Format("2006-01-02 15:04:05Z"), e.RequestID, e.State, e.Op, e.TargetName())
	switch {
	case e.State == Pending:
		fmt.Fprintf(&b, ", asked by %s via %s", e.Requester, e.Origin.Frontend)
	case e.Actor != "":
		fmt.Fprintf(&b, ", by %s", e.Actor)
	}
	if e.Note != "" {
		b.WriteString(": " + PlainText(e.Note))
	} else if e.Outcome != nil {
		b.WriteString(": " + PlainText(e.Outcome.Summary))
		if e.Outcome.RequestID != "" && !strings.Contains(e.Outcome.Summary, e.Outcome.RequestID) {
			b.WriteString(" (provider request ID " + e.Outcome.RequestID + ")")
		}
	}
	return b.String()
}

// UnmarshalJSON reads an outcome stored before the provider's request ID
// was named provider_request_id, as well as one stored since.
func (o *Outcome) UnmarshalJSON(data []byte) error {
	type plain Outcome
	var v struct {
		plain
		Legacy string `json:"request_id"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*o = Outcome(v.plain)
	if o.RequestID == "" {
		o.RequestID = v.Legacy
	}
	return nil
}

// UnmarshalJSON is Outcome's for a failure.
func (f *Failure) UnmarshalJSON(data []byte) error {
	type plain Failure
	var v struct {
		plain
		Legacy string `json:"request_id"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*f = Failure(v.plain)
	if f.RequestID == "" {
		f.RequestID = v.Legacy
	}
	return nil
}
