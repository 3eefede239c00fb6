package ops

import "time"

// Event is the audit record of one transition of a request: who did what,
// when, and how it ended.
type Event struct {
	Time      time.Time `json:"time"`
	RequestID string    `json:"request_id"`
	Op        string    `json:"op"`
	Target    Target    `json:"target"`
	From      State     `json:"from,omitempty"`
	State     State     `json:"state"`
	Actor     string    `json:"actor,omitempty"`
	Requester string    `json:"requester"`
	Origin    Origin    `json:"origin"`
	Outcome   *Outcome  `json:"outcome,omitempty"`
	// Note carries what is not a transition, like a status check after the call.
	Note string `json:"note,omitempty"`
}
