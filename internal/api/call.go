package api

import (
	"encoding/json"
	"net/url"
)

// Call is a request as a client sends it. The clients build their calls
// with it, and a card shows the same value, so that what a person confirms
// is what is sent.
type Call struct {
	Method string
	Path   string // from the API's root, escaped: "/v1/0a1b/eventrouter/jobs"
	Query  url.Values
	Body   any // sent as JSON; nil: no body
}

// String is the call as a card shows it: method, path, query and body,
// like `POST /v1/0a1b/eventrouter/jobs/j-1/action {"operation":"STOP"}`.
func (c Call) String() string {
	s := c.Method + " " + c.Path
	if len(c.Query) > 0 {
		s += "?" + c.Query.Encode()
	}
	if c.Body != nil {
		body, err := json.Marshal(c.Body)
		if err != nil {
			return s + " (body not shown: " + err.Error() + ")"
		}
		s += " " + string(body)
	}
	return s
}
