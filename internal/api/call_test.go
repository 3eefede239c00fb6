package api

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCallStringShowsWhatIsSent(t *testing.T) {
	assert.Equal(t, "POST /streaming/v2.0/streaming/pipeline/p-1?action=pause&orgId=o1",
		Call{Method: "POST", Path: "/streaming/v2.0/streaming/pipeline/p-1", Query: url.Values{"orgId": {"o1"}, "action": {"pause"}}}.String())
	assert.Equal(t, `POST /v1/p/eventstreamings/operate/s-1 {"operation":"start"}`,
		Call{Method: "POST", Path: "/v1/p/eventstreamings/operate/s-1", Body: map[string]string{"operation": "start"}}.String())
	assert.Equal(t, "GET /v1/p/eventrouter/jobs", Call{Method: "GET", Path: "/v1/p/eventrouter/jobs"}.String())
	assert.Contains(t, Call{Method: "POST", Path: "/x", Body: func() {}}.String(), "POST /x (body not shown: ")
}
