package ops

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"time"
)

// State is where a request is in its life. Only pending requests can be
// confirmed or cancelled; executing, succeeded, failed, cancelled and expired
// are reached at most once each.
type State string

const (
	Pending   State = "pending"
	Executing State = "executing"
	Succeeded State = "succeeded"
	Failed    State = "failed"
	// Uncertain: the call may or may not have acted (a 5xx, a timeout, a cut
	// connection, a bot that stopped mid-call); its status was read to find out.
	Uncertain State = "uncertain"
	Cancelled State = "cancelled"
	Expired   State = "expired"
)

// Final reports whether nothing more can happen to a request in state s.
func (s State) Final() bool {
	return s == Succeeded || s == Failed || s == Uncertain || s == Cancelled || s == Expired
}

// Request is one proposed operation, from the moment it is asked for until it
// ends. It is stored as JSON, so everything needed to execute it on any
// replica after a restart is in it.
type Request struct {
	ID     string            `json:"id"`
	Op     string            `json:"op"` // catalogue name, e.g. "pipeline pause"
	Target Target            `json:"target"`
	Args   map[string]string `json:"args,omitempty"`
	Flags  []string          `json:"flags,omitempty"`
	Text   string            `json:"text"` // the command as typed
	// Call and Details say what will be sent, fixed when the request is made
	// so that every replica shows and sends the same thing.
	Call    string  `json:"call"`
	Details []Field `json:"details,omitempty"`
	// Seen is what was read from the provider to make the card; it is
	// checked again before the call, so that the call does what the card said.
	Seen      map[string]string `json:"seen,omitempty"`
	Requester string            `json:"requester"`
	Origin    Origin            `json:"origin"`
	State     State             `json:"state"`
	CreatedAt time.Time         `json:"created_at"`
	ExpiresAt time.Time         `json:"expires_at"`
	// DecidedBy is who confirmed or cancelled it; empty for an expiry.
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	Outcome   *Outcome  `json:"outcome,omitempty"`
	// Alert is the alert that proposed the request, if one did.
	Alert *Alert `json:"alert,omitempty"`
	// Reason is why automation asked for it (a request message's reason).
	Reason string `json:"reason,omitempty"`

	// Revision is the store's revision this value was read at; a change is
	// only written if the stored request is still at this revision.
	Revision uint64 `json:"-"`
}

// Field is one labelled line of a card.
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Target is what an operation acts on: the alias a person typed (if any),
// the provider's ID and where it lives.
type Target struct {
	Kind     string `json:"kind"` // pipeline, stream, job
	Alias    string `json:"alias,omitempty"`
	ID       string `json:"id"`
	Provider string `json:"provider"` // "EnOS", "EventGrid"
	Scope    string `json:"scope"`    // "org o123", "region cn-north-4, project 0a1b"
}

// Name is how a person refers to the target: its alias and ID, or the ID
// (or the name alone, for what is yet to be created).
func (t Target) Name() string {
	if t.ID == "" {
		return t.Alias
	}
	if t.Alias != "" && t.Alias != t.ID {
		return fmt.Sprintf("%s (%s)", t.Alias, t.ID)
	}
	return t.ID
}

// Frontend is what a request came through; stored as its string.
type Frontend string

const (
	FrontendConsole Frontend = "console"
	FrontendSlack   Frontend = "slack"
	FrontendNATS    Frontend = "nats"  // a request message on streamops.requests
	FrontendAlert   Frontend = "alert" // an alert rule
)

// Origin is where a request came from, so that its outcome goes back there.
type Origin struct {
	Frontend Frontend `json:"frontend"`
	// Channel and Message are where the request's card was posted (a Slack
	// channel ID and message ts), so that any replica can update it.
	Channel string `json:"channel,omitempty"`
	Message string `json:"message,omitempty"`
}

// Outcome is what the provider did with a confirmed request.
type Outcome struct {
	Summary   string `json:"summary"`
	JobID     string `json:"job_id,omitempty"`
	RequestID string `json:"provider_request_id,omitempty"` // the provider's
	// Error is set when the call failed; Code and RequestID are the provider's.
	Error *Failure `json:"error,omitempty"`
}

// ids is the part of a success message that names the provider's IDs.
func (o Outcome) ids() string {
	return fmt.Sprintf("job ID %s, request ID %s", o.JobID, o.RequestID)
}

// Failure keeps what a provider said when it refused a call.
type Failure struct {
	// Context is what the bot was doing when the provider refused, if it
	// was not the call itself.
	Context   string `json:"context,omitempty"`
	Code      string `json:"code,omitempty"`
	Message   string `json:"message"`
	RequestID string `json:"provider_request_id,omitempty"`
	// Uncertain is set when the call may have taken effect; Reason says
	// why that is not known, like "EventGrid answered HTTP 502".
	Uncertain bool   `json:"uncertain,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

var requestIDPattern = regexp.MustCompile(`^r-[0-9a-f]{6}$`)

// ValidRequestID reports whether s has the shape of a request ID.
func ValidRequestID(s string) bool { return requestIDPattern.MatchString(s) }

func newRequestID() (string, error) {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "r-" + hex.EncodeToString(b[:]), nil
}
