package enos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api"
)

// An envelope with a non-zero code on a 2xx, or any 4xx, is EnOS refusing a
// call; a 5xx or a 2xx that cannot be read leaves a state-changing call's
// outcome uncertain. Reads are never uncertain.
func TestWhichAnswersLeaveTheOutcomeUncertain(t *testing.T) {
	for _, c := range []struct {
		status    int
		body      string
		uncertain string
	}{
		{200, `{"code":61152,"msg":"cannot be changed","requestId":"r1"}`, ""},
		{400, `{"code":400,"msg":"bad"}`, ""},
		{499, `nope`, ""},
		{500, `{"code":500,"msg":"internal","requestId":"r2"}`, "EnOS answered HTTP 500"},
		{502, `Bad Gateway`, "EnOS answered HTTP 502"},
		{200, `{"code":0,`, "EnOS answered HTTP 200 but its answer could not be read"},
	} {
		t.Run(fmt.Sprintf("%d %s", c.status, c.body), func(t *testing.T) {
			posts := 0
			g := newGateway(t, func(w http.ResponseWriter, r apiRequest) {
				if r.Method == http.MethodPost {
					posts++
				}
				w.WriteHeader(c.status)
				fmt.Fprint(w, c.body)
			})
			cl := New(g.URL, testConfig(), WithLogger(quiet()))
			_, err := cl.Operate(context.Background(), "p-1", Pause)
			require.Error(t, err)
			var ue *api.UncertainError
			if c.uncertain == "" {
				assert.False(t, errors.As(err, &ue), "%v", err)
			} else {
				require.True(t, errors.As(err, &ue), "%v", err)
				assert.Equal(t, c.uncertain, ue.Reason)
				assert.Equal(t, 1, posts, "sent once")
			}
			_, err = cl.Pipeline(context.Background(), "p-1")
			assert.False(t, errors.As(err, &ue), "a read is never uncertain: %v", err)
		})
	}
}
