package ops

import "time"

// Event is the audit record of one transition of a request: who did what,
// when, and how it ended.
type Event struct {
	Time      time.Time `json:"time"`
	RequestID string    `json:"request_id"`
	Op        string    `json:"op"`
	Target    Target    `json:"target"`
	Call      string    `json:"call,omitempty"` // the call line the card showed
	From      State     `json:"from,omitempty"`
	State     State     `json:"state"`
	Actor     string    `json:"actor,omitempty"`
	Requester string    `json:"requester"`
	Origin    Origin    `json:"origin"`
	Outcome   *Outcome  `json:"outcome,omitempty"`
	// Note carries what is not a transition: the status read after a call,
	// whose event has State Checked and From the state the request keeps.
	Note string `json:"note,omitempty"`
	// MoreTargets and Group are the request's, for one on several targets.
	MoreTargets []Target `json:"more_targets,omitempty"`
	Group       string   `json:"group,omitempty"`
}

// Checked is the state of the event that reports the status read after a
// call (streamops.events.checked); no request is ever in it.
const Checked State = "checked"

// Targets are what the event's request acts on, in the order named.
func (e Event) Targets() []Target {
	return append([]Target{e.Target}, e.MoreTargets...)
}

// TargetName names every target of the event's request, as
// Request.TargetName does.
func (e Event) TargetName() string {
	return targetsName(e.Group, e.Targets())
}

// names reports whether word names one of the event's targets (its alias
// or ID) or its target group (with GroupPrefix).
func (e Event) names(word string) bool {
	if e.Group != "" && word == GroupPrefix+e.Group {
		return true
	}
	for _, t := range e.Targets() {
		if t.Is(word) {
			return true
		}
	}
	return false
}
