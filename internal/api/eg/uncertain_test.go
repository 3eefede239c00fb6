package eg

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api"
)

// Only a 4xx proves that EventGrid refused a state-changing call; any other
// answer that is not a readable success leaves the outcome uncertain. A read
// is never uncertain: it changes nothing.
func TestWhichAnswersLeaveTheOutcomeUncertain(t *testing.T) {
	for _, c := range []struct {
		status    int
		body      string
		uncertain string // the reason, or "" for a refusal
	}{
		{400, `{"error_code":"EG.00014000","error_msg":"bad"}`, ""},
		{404, `{"error_code":"EG.00014040","error_msg":"no such job"}`, ""},
		{499, `{"error_code":"EG.00014990","error_msg":"closed"}`, ""},
		{500, `{"error_code":"EG.00015000","error_msg":"internal"}`, "EventGrid answered HTTP 500"},
		{502, `<html>Bad Gateway</html>`, "EventGrid answered HTTP 502"},
		{302, ``, "EventGrid answered HTTP 302"},
		{201, `{}`, "EventGrid answered HTTP 201"},
		{200, `{"job_id": `, "EventGrid answered HTTP 200 but its answer could not be read"},
		{200, `{"error_code":"EG.00014000","error_msg":"odd"}`, "EventGrid answered HTTP 200 with error EG.00014000"},
	} {
		for name, call := range allCalls() {
			t.Run(http.StatusText(c.status)+"/"+name, func(t *testing.T) {
				srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
					if r.Method == http.MethodGet && c.status >= 500 {
						reply(w, 400, "rid", `{"error_code":"EG.00014000","error_msg":"bad"}`) // no resends to wait out
						return
					}
					reply(w, c.status, "rid", c.body)
				})
				var w waits
				_, err := call.call(newClient(t, srv.URL, tokenConfig(), w.option()))
				if c.status == 200 && c.body == `{"job_id": ` && !call.changes {
					require.Error(t, err)
				}
				var ue *api.UncertainError
				if c.uncertain == "" || !call.changes {
					assert.False(t, asUncertain(err, &ue), "%v", err)
					return
				}
				require.True(t, asUncertain(err, &ue), "%v", err)
				assert.Equal(t, c.uncertain, ue.Reason)
				assert.Equal(t, int32(1), srv.count.Load(), "sent once")
			})
		}
	}
}

func asUncertain(err error, target **api.UncertainError) bool {
	return err != nil && errors.As(err, target)
}
