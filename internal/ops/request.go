package ops

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
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
	ID string `json:"id"`
	Op string `json:"op"` // catalogue name, e.g. "pipeline pause"
	// Target is what it acts on; a request on several targets holds the
	// first here and the others in MoreTargets, so that a request on one is
	// stored as it always was. Targets lists them all.
	Target      Target            `json:"target"`
	MoreTargets []Target          `json:"more_targets,omitempty"`
	Args        map[string]string `json:"args,omitempty"`
	Flags       []string          `json:"flags,omitempty"`
	Text        string            `json:"text"`            // the command as typed
	Group       string            `json:"group,omitempty"` // the target group Text names, without GroupPrefix
	// Call and Details say what will be sent, fixed when the request is made
	// so that every replica shows and sends the same thing. A request on
	// several targets has one line of Call per target, in Targets' order,
	// each after the target's name and ": ".
	Call    string  `json:"call"`
	Details []Field `json:"details,omitempty"`
	// Seen is what was read from the provider to make the card; it is
	// checked again before the call, so that the call does what the card said.
	Seen      *Seen     `json:"seen,omitempty"`
	Requester string    `json:"requester"`
	Origin    Origin    `json:"origin"`
	State     State     `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// DecidedBy is who confirmed or cancelled it; empty for an expiry.
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	Outcome   *Outcome  `json:"outcome,omitempty"`
	// Outcomes are what each target's call did, for a request on several
	// targets (Outcome then sums them up); a request on one has Outcome only.
	Outcomes []TargetOutcome `json:"outcomes,omitempty"`
	// Alert is the alert that proposed the request, if one did.
	Alert *Alert `json:"alert,omitempty"`
	// Reason is why automation asked for it (a request message's reason).
	Reason string `json:"reason,omitempty"`
	// Confirmers are who may confirm it under the policy; nil: anyone.
	Confirmers *Confirmers `json:"confirmers,omitempty"`
	// Reminded: the reminder that its time runs out was given.
	Reminded bool `json:"reminded,omitempty"`

	// Revision is the store's revision this value was read at; a change is
	// only written if the stored request is still at this revision.
	Revision uint64 `json:"-"`
}

// Targets are what r acts on, in the order they were named.
func (r Request) Targets() []Target {
	return append([]Target{r.Target}, r.MoreTargets...)
}

// setTargets stores ts, as Targets lists them, in r.
func (r *Request) setTargets(ts []Target) {
	r.Target, r.MoreTargets = ts[0], nil
	if len(ts) > 1 {
		r.MoreTargets = ts[1:]
	}
}

// on is r narrowed to one of its targets: what an operation's call, status
// read and wording take, so that they know nothing of several targets.
func (r Request) on(t Target) Request {
	r.Target, r.MoreTargets = t, nil
	return r
}

// Subject is what r acts on, briefly: its target's name, or for several
// "@orders (3 pipelines)", the group and how many of what.
func (r Request) Subject() string {
	return subject(r.Group, r.Targets())
}

// TargetName names every target of r: its target's name, or for several
// "@orders (3 pipelines): orders-etl (p-100), billing (p-200), p-300".
func (r Request) TargetName() string {
	return targetsName(r.Group, r.Targets())
}

func subject(group string, ts []Target) string {
	if len(ts) == 1 {
		return ts[0].Name()
	}
	what := Count(len(ts), ts[0].Kind)
	if group == "" {
		return what
	}
	return fmt.Sprintf("%s%s (%s)", GroupPrefix, group, what)
}

func targetsName(group string, ts []Target) string {
	if len(ts) == 1 {
		return ts[0].Name()
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name()
	}
	return subject(group, ts) + ": " + strings.Join(names, ", ")
}

// Seen is a job's source and target addresses as read to make a switch's
// card, and whether the switch swaps them.
type Seen struct {
	Source string `json:"source"`
	Target string `json:"target"`
	// Swap is stored as "true" or "false", as requests stored before it
	// was typed have it.
	Swap bool `json:"swap,string"`
}

// Field is one labelled line of a card.
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Target is what an operation acts on: the alias a person typed (if any),
// the provider's ID, the account it is reached through and where it lives.
type Target struct {
	// Account names the provider account the target belongs to; empty is
	// DefaultAccount, so that requests stored before targets had accounts
	// load as targets of it.
	Account  string `json:"account,omitempty"`
	Kind     string `json:"kind"` // pipeline, stream, job
	Alias    string `json:"alias,omitempty"`
	ID       string `json:"id"`
	Provider string `json:"provider"` // "EnOS", "EventGrid"
	Scope    string `json:"scope"`    // "org o123", "region cn-north-4, project 0a1b"
}

// DefaultAccount is the name of a provider's account when the config names
// none: today each provider has exactly this one.
const DefaultAccount = "default"

// TargetKey is what tells targets apart: claims, the alert ledger and
// status checks are keyed by it. Two targets with one key are the same
// thing at the provider, however a person named them.
type TargetKey struct {
	Account, Kind, ID string
}

// Key is t's identity. A target yet to be created (a job) is known by its
// name until the provider gives it an ID.
func (t Target) Key() TargetKey {
	return TargetKey{Account: cmp.Or(t.Account, DefaultAccount), Kind: t.Kind, ID: cmp.Or(t.ID, t.Alias)}
}

// String is the key in words, "job fac5" or, outside the default account,
// "job fac5 in eg-shanghai": the default account's form is the one keys had
// before targets had accounts, so that what was stored under it still matches.
func (k TargetKey) String() string {
	s := k.Kind + " " + k.ID
	if k.Account != DefaultAccount {
		s += " in " + k.Account
	}
	return s
}

// Name is how a person refers to the target: its alias and ID, or the ID
// as they would type it, after its account outside the default one (or the
// name alone, for what is yet to be created).
func (t Target) Name() string {
	if t.ID == "" {
		return t.Alias
	}
	if t.Alias != "" && t.Alias != t.ID {
		return fmt.Sprintf("%s (%s)", t.Alias, t.ID)
	}
	if t.Account != "" && t.Account != DefaultAccount {
		return t.Account + "/" + t.ID
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
	// Undo is the command that reverses a success, offered as a new
	// request; "" when there is none.
	Undo string `json:"undo,omitempty"`
}

// TargetOutcome is what one target's call did.
type TargetOutcome struct {
	Target  Target  `json:"target"`
	Outcome Outcome `json:"outcome"`
}

// IDs is the part of a success message that names the provider's IDs.
func (o Outcome) IDs() string {
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
