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
}

// Checked is the state of the event that reports the status read after a
// call (streamops.events.checked); no request is ever in it.
const Checked State = "checked"
