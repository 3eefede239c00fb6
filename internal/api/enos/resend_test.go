package enos

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api"
)

// hang answers nothing until the client gives up.
func hang(w http.ResponseWriter, r apiRequest) { <-r.ctx.Done() }

func TestOperateNotResentAfterTimeout(t *testing.T) {
	g := newGateway(t, hang)
	cfg := testConfig()
	cfg.Timeout = time.Second // long enough for a loaded machine to deliver the send
	c := New(g.URL, cfg, WithLogger(quiet()))
	c.retryWait = time.Millisecond

	_, err := c.Operate(context.Background(), "p-1", Stop)
	require.Error(t, err)
	assert.False(t, api.NotSent(err))
	assert.Equal(t, int32(1), g.apiCalls.Load(), "a timed-out operation may have acted: it must not be sent again")
}

func TestReadRetriedAfterTimeout(t *testing.T) {
	g := newGateway(t, hang)
	cfg := testConfig()
	// Long enough for a loaded machine to deliver each send before it times out.
	cfg.Timeout = time.Second
	c := New(g.URL, cfg, WithLogger(quiet()))
	c.retryWait = time.Millisecond

	_, err := c.Pipeline(context.Background(), "p-1")
	require.Error(t, err)
	assert.Equal(t, int32(1+readRetries), g.apiCalls.Load())
}

func TestOperateNotResentAfter5xx(t *testing.T) {
	for _, body := range []string{``, `{"code":500,"msg":"Internal error","requestId":"r-500"}`, `{"code":0,"msg":"OK"}`} {
		t.Run(body, func(t *testing.T) {
			g := newGateway(t, func(w http.ResponseWriter, r apiRequest) {
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprint(w, body)
			})
			c := New(g.URL, testConfig(), WithLogger(quiet()))
			c.retryWait = time.Millisecond

			_, err := c.Operate(context.Background(), "p-1", Stop)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, http.StatusInternalServerError, e.HTTPStatus)
			assert.Equal(t, int32(1), g.apiCalls.Load())
		})
	}
}

func TestReadRetriedAfter5xx(t *testing.T) {
	var n atomic.Int32
	g := newGateway(t, func(w http.ResponseWriter, r apiRequest) {
		if n.Add(1) <= readRetries {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		ok(`{"pipelineId":"p-1","pipelineName":"n","status":"STOPPED"}`)(w, r)
	})
	c := New(g.URL, testConfig(), WithLogger(quiet()))
	c.retryWait = time.Millisecond

	p, err := c.Pipeline(context.Background(), "p-1")
	require.NoError(t, err)
	assert.Equal(t, StatusStopped, p.Status)
	assert.Equal(t, int32(1+readRetries), g.apiCalls.Load())
}

// refusingDialer connects to the gateway, except that the dial numbered
// refuse goes to a port nobody listens on: a real refused connection.
func refusingDialer(t *testing.T, refuse int32) (*http.Transport, *atomic.Int32) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := l.Addr().String()
	require.NoError(t, l.Close())

	var dials atomic.Int32
	var d net.Dialer
	return &http.Transport{
		DisableKeepAlives: true, // one dial per request
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) == refuse {
				addr = closed
			}
			return d.DialContext(ctx, network, addr)
		},
	}, &dials
}

func TestOperateResentAfterRefusedConnection(t *testing.T) {
	g := newGateway(t, ok(`""`))
	tr, dials := refusingDialer(t, 2) // dial 1 fetches the token, dial 2 carries Operate
	c := New(g.URL, testConfig(), WithTransport(tr), WithLogger(quiet()))
	c.retryWait = time.Millisecond

	id, err := c.Operate(context.Background(), "p-1", Pause)
	require.NoError(t, err)
	assert.Equal(t, "5f2e8c01", id)
	assert.Equal(t, int32(3), dials.Load())
	assert.Equal(t, int32(1), g.apiCalls.Load(), "the refused attempt never reached the gateway")
}

func TestRefusedConnectionGivesUp(t *testing.T) {
	tr, _ := refusingDialer(t, 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	c := New("http://"+addr, testConfig(), WithTransport(tr), WithLogger(quiet()))
	_, err = c.Pipeline(context.Background(), "p-1")
	require.Error(t, err)
	assert.True(t, api.NotSent(err), "the cause stays visible to callers: %v", err)
}
