package slackbot

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Only a request signed with the signing secret, recently, gets past the
// door; anything else is 401 and causes nothing, not even a log of its body.
func TestSignedRequestsOnly(t *testing.T) {
	w := newWorld(t)
	const marker = "pipeline pause orders-etl"
	body := w.commandBody(alice, marker, "t-forged")
	url := w.srv.URL + "/slack/commands"
	for name, req := range map[string]*http.Request{
		"forged": func() *http.Request {
			r := signed(t, url, body, time.Now())
			r.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32))
			return r
		}(),
		"body changed after signing": func() *http.Request {
			r := signed(t, url, body, time.Now())
			tampered := strings.Replace(body, "orders-etl", "billing-agg", 1)
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(tampered)), int64(len(tampered))
			return r
		}(),
		"stale":           signed(t, url, body, time.Now().Add(-6*time.Minute)),
		"from the future": signed(t, url, body, time.Now().Add(6*time.Minute)),
		"missing signature": func() *http.Request {
			r := signed(t, url, body, time.Now())
			r.Header.Del("X-Slack-Signature")
			return r
		}(),
		"missing timestamp": func() *http.Request {
			r := signed(t, url, body, time.Now())
			r.Header.Del("X-Slack-Request-Timestamp")
			return r
		}(),
		"bad timestamp": func() *http.Request {
			r := signed(t, url, body, time.Now())
			r.Header.Set("X-Slack-Request-Timestamp", "soon")
			return r
		}(),
		"other secret": func() *http.Request {
			r := signed(t, url, body, time.Now())
			r.Header.Set("X-Slack-Signature", "v0=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
			return r
		}(),
		"interaction, unsigned": func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, w.srv.URL+"/slack/interactions", strings.NewReader(w.clickBody(bob, "confirm", "r-000000", "1.2", "t")))
			return r
		}(),
	} {
		code, answer := do(t, req)
		assert.Equal(t, http.StatusUnauthorized, code, name)
		assert.Empty(t, answer, name)
	}

	// Oversized bodies are refused whether or not they are signed.
	big := body + "&pad=" + strings.Repeat("x", maxBody)
	code, _ := do(t, signed(t, url, big, time.Now()))
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	unsized := signed(t, url, big, time.Now())
	unsized.ContentLength = -1 // sent chunked: the limit is on what is read
	unsized.Body = io.NopCloser(strings.NewReader(big))
	code, _ = do(t, unsized)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)

	assert.Empty(t, w.slack.Calls()[1:], "nothing reached Slack but auth.test")
	open, err := w.svc.Pending(t.Context())
	require.NoError(t, err)
	assert.Empty(t, open, "nothing was proposed")
	assert.NotContains(t, w.logs.String(), "orders-etl", "no body was logged")

	// Slack's certificate check of the command URL gets its 200.
	code, _ = do(t, signed(t, url, "ssl_check=1&token=deprecated", time.Now()))
	assert.Equal(t, http.StatusOK, code)

	// The same body, signed now, is taken.
	code, text := doAck(t, signed(t, url, body, time.Now()))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "Working on `pipeline pause orders-etl`…", text)
	w.card(`orders-etl`)
}

func doAck(t *testing.T, req *http.Request) (int, string) {
	code, body := do(t, req)
	if i := strings.Index(body, `"text":`); i >= 0 {
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(body[i+len(`"text":`):]), "}"))
		require.NoError(t, err)
		return code, s
	}
	return code, body
}
