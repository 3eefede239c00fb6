package enos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api"

	"github.com/streamops/streamops/internal/syncbuf"
)

func TestSignatureVector(t *testing.T) {
	// The worked example of docs/providers.md §2b.
	got := sign("tok", map[string][]string{"orgId": {"o123"}, "action": {"pause"}}, nil, "1572574909697", "sec")
	assert.Equal(t, "f76c13c27803a63bc68194c8b20cec6779fc7a5bbdb5925ebe04b4e5a4b06c49", got)
	assert.Equal(t, got, refSign("tok", "action=pause&orgId=o123", nil, "1572574909697", "sec"))
}

func TestSignatureWithBodyAndRepeatedParams(t *testing.T) {
	q := map[string][]string{"b": {"2", "1"}, "a": {"x"}}
	body := []byte(`{"executionMode":0}`)
	assert.Equal(t, refSign("t", "b=2&b=1&a=x", body, "5", "s"), sign("t", q, body, "5", "s"))
}

func TestOperateWire(t *testing.T) {
	for _, a := range []Action{Pause, Start, Stop} {
		t.Run(string(a), func(t *testing.T) {
			clk := newClock()
			g := newGateway(t, ok(`""`))
			c := New(g.URL, testConfig(), WithClock(clk.Now), WithLogger(quiet()))

			id, err := c.Operate(context.Background(), "p-1729", a)
			require.NoError(t, err)
			assert.Equal(t, "5f2e8c01", id)

			reqs := g.seen()
			require.Len(t, reqs, 1)
			r := reqs[0]
			ts := strconv.FormatInt(clk.Now().UnixMilli(), 10)
			assert.Equal(t, apiRequest{
				Method:    http.MethodPost,
				Path:      "/streaming/v2.0/streaming/pipeline/p-1729",
				RawQuery:  "action=" + string(a) + "&orgId=" + testOrg,
				Token:     "tok-1",
				Signature: refSign("tok-1", "action="+string(a)+"&orgId="+testOrg, nil, ts, testSecret),
				Timestamp: ts,
				Body:      []byte{},
			}, r)
			assert.Equal(t, int32(1), g.tokenGets.Load())
		})
	}
}

func TestOperateEscapesPipelineID(t *testing.T) {
	g := newGateway(t, ok(`""`))
	c := New(g.URL, testConfig(), WithLogger(quiet()))
	_, err := c.Operate(context.Background(), "a/b c?", Pause)
	require.NoError(t, err)
	assert.Equal(t, "/streaming/v2.0/streaming/pipeline/a%2Fb%20c%3F", g.seen()[0].Path)
}

func TestOperateRejectsBadInputUnsent(t *testing.T) {
	g := newGateway(t, ok(`""`))
	c := New(g.URL, testConfig(), WithLogger(quiet()))
	_, err := c.Operate(context.Background(), "p-1", Action("resume"))
	assert.ErrorContains(t, err, `unknown action "resume"`)
	_, err = c.Operate(context.Background(), "", Pause)
	assert.Error(t, err)
	assert.Zero(t, g.apiCalls.Load()+g.tokenGets.Load())
}

func TestPipelineWire(t *testing.T) {
	g := newGateway(t, ok(`{"pipelineId":"p-1","pipelineName":"orders-etl","status":"RUNNING","version":3,"owner":"x"}`))
	c := New(g.URL, testConfig(), WithLogger(quiet()))

	p, err := c.Pipeline(context.Background(), "p-1")
	require.NoError(t, err)
	assert.Equal(t, Pipeline{ID: "p-1", Name: "orders-etl", Status: StatusRunning, Version: "3"}, p)

	r := g.seen()[0]
	assert.Equal(t, http.MethodGet, r.Method)
	assert.Equal(t, "/streaming/v2.0/streaming/pipeline/p-1", r.Path)
	assert.Equal(t, "orgId="+testOrg, r.RawQuery)
	assert.Empty(t, r.Body)
}

func TestPipelinesPages(t *testing.T) {
	const total = pageSize + 7
	g := newGateway(t, func(w http.ResponseWriter, r apiRequest) {
		var page []string
		no, _ := strconv.Atoi(strings.TrimPrefix(strings.Split(r.RawQuery, "&")[1], "pageNo="))
		for i := (no - 1) * pageSize; i < total && i < no*pageSize; i++ {
			page = append(page, fmt.Sprintf(`{"pipelineId":"p-%d","pipelineName":"n%d","status":"PAUSED","version":"v1"}`, i, i))
		}
		fmt.Fprintf(w, `{"code":0,"msg":"OK","requestId":"r%d","data":{"count":%d,"pipelines":[%s]}}`, no, total, strings.Join(page, ","))
	})
	c := New(g.URL, testConfig(), WithLogger(quiet()))

	ps, err := c.Pipelines(context.Background())
	require.NoError(t, err)
	require.Len(t, ps, total)
	assert.Equal(t, Pipeline{ID: "p-56", Name: "n56", Status: StatusPaused, Version: "v1"}, ps[56])

	reqs := g.seen()
	require.Len(t, reqs, 2)
	for i, r := range reqs {
		assert.Equal(t, http.MethodGet, r.Method)
		assert.Equal(t, pathPipelines, r.Path)
		assert.Equal(t, fmt.Sprintf("orgId=%s&pageNo=%d&pageSize=%d", testOrg, i+1, pageSize), r.RawQuery)
	}
}

func TestDocumentedErrorsKept(t *testing.T) {
	for _, tc := range []struct {
		code int
		msg  string
	}{
		{61108, "Stream processing job does not exit."},
		{61152, "Status of the stream processing job cannot be changed from [STOPPED] to Paused."},
		{61152, "Status of the stream processing job cannot be changed from [PUBLISHED] to Stopped."},
		{61165, "status [RUNNING] cannot be started"},
		{61121, "another user in the organization is starting a job, retry later"},
		{61100, "invalid configuration"},
		{61122, "failed to stop"},
	} {
		t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
			g := newGateway(t, func(w http.ResponseWriter, r apiRequest) {
				fmt.Fprintf(w, `{"code":%d,"msg":%q,"requestId":"5f2e-%d","data":null}`, tc.code, tc.msg, tc.code)
			})
			c := New(g.URL, testConfig(), WithLogger(quiet()))
			_, err := c.Operate(context.Background(), "p-1", Pause)

			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, &Error{HTTPStatus: 200, Code: tc.code, Msg: tc.msg, RequestID: fmt.Sprintf("5f2e-%d", tc.code)}, e)
			assert.Equal(t, fmt.Sprintf("EnOS error %d: %s (request ID 5f2e-%d)", tc.code, tc.msg, tc.code), err.Error())
			assert.Equal(t, strconv.Itoa(tc.code), e.ProviderCode())
			assert.Equal(t, tc.msg, e.ProviderMessage())
			assert.Equal(t, "5f2e-"+strconv.Itoa(tc.code), e.ProviderRequestID())
			assert.Equal(t, int32(1), g.apiCalls.Load(), "an error answer is final")
		})
	}
}

func TestHTTPErrorWithoutEnvelope(t *testing.T) {
	page := "<html><body>" + strings.Repeat("Bad Gateway\n", 40) + "</body></html>"
	g := newGateway(t, func(w http.ResponseWriter, r apiRequest) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, page)
	})
	c := New(g.URL, testConfig(), WithLogger(quiet()))
	_, err := c.Operate(context.Background(), "p-1", Stop)

	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusBadGateway, e.HTTPStatus)
	assert.Zero(t, e.Code)
	assert.Equal(t, "HTTP 502", e.ProviderCode())
	assert.True(t, strings.HasPrefix(e.Msg, "not an EnOS envelope (HTTP 502 Bad Gateway): <html><body>Bad Gateway Bad Gateway"), e.Msg)
	assert.NotContains(t, e.Msg, "\n")
	assert.Less(t, len(e.Msg), 300)
	assert.True(t, strings.HasPrefix(err.Error(), "EnOS answered HTTP 502: EnOS HTTP 502: not an EnOS envelope"), err.Error())
	var ue *api.UncertainError
	assert.ErrorAs(t, err, &ue, "a 502 after a state-changing call may hide a backend that acted")
}

func TestEmptyBodyIsAnError(t *testing.T) {
	g := newGateway(t, func(w http.ResponseWriter, r apiRequest) {})
	c := New(g.URL, testConfig(), WithLogger(quiet()))
	_, err := c.Operate(context.Background(), "p-1", Pause)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, &Error{HTTPStatus: 200, Msg: "empty body (HTTP 200 OK)"}, e)
}

func TestTokenServiceRefusals(t *testing.T) {
	for _, st := range []int{1002, 1003, 1004, 1203, 1204} {
		t.Run(strconv.Itoa(st), func(t *testing.T) {
			g := newGateway(t, ok(`""`))
			g.tokenStatus = func(string) int { return st }
			c := New(g.URL, testConfig(), WithLogger(quiet()))
			_, err := c.Operate(context.Background(), "p-1", Pause)

			var te *TokenError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, st, te.Status)
			assert.Equal(t, strconv.Itoa(st), te.ProviderCode())
			assert.Contains(t, err.Error(), "EnOS token service refused the app key: "+strconv.Itoa(st)+" "+tokenStatusMeaning[st])
			assert.NotContains(t, err.Error(), testSecret)
			assert.Zero(t, g.apiCalls.Load())
		})
	}
	assert.Equal(t, "EnOS token service refused the app key: 1003 invalid encryption — check enos.app_key/app_secret",
		(&TokenError{Status: 1003, Msg: "invalid encryption"}).Error())
}

func TestTokenFetchedOnceForConcurrentCalls(t *testing.T) {
	g := newGateway(t, ok(`{"pipelineId":"p-1","pipelineName":"n","status":"RUNNING"}`))
	c := New(g.URL, testConfig(), WithLogger(quiet()))

	const n = 32
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			<-start
			_, err := c.Pipeline(context.Background(), "p-1")
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.Equal(t, int32(1), g.tokenGets.Load())
	assert.Equal(t, int32(n), g.apiCalls.Load())
}

func TestTokenRenewedNearExpiry(t *testing.T) {
	clk := newClock()
	g := newGateway(t, ok(`""`))
	c := New(g.URL, testConfig(), WithClock(clk.Now), WithLogger(quiet()))
	ctx := context.Background()
	operate := func() string {
		t.Helper()
		_, err := c.Operate(ctx, "p-1", Start)
		require.NoError(t, err)
		reqs := g.seen()
		return reqs[len(reqs)-1].Token
	}

	assert.Equal(t, "tok-1", operate())
	clk.Advance(7200*time.Second - renewMargin - time.Second)
	assert.Equal(t, "tok-1", operate(), "still well inside its life")
	assert.Zero(t, g.tokenRefreshes.Load())

	clk.Advance(2 * time.Second)
	assert.Equal(t, "tok-2", operate(), "renewed with /token/refresh")
	assert.Equal(t, int32(1), g.tokenRefreshes.Load())
	assert.Equal(t, int32(1), g.tokenGets.Load())

	clk.Advance(3 * time.Hour)
	assert.Equal(t, "tok-3", operate(), "an expired token is replaced with /token/get")
	assert.Equal(t, int32(2), g.tokenGets.Load())
}

func TestShortLivedTokenRenewedAtATenth(t *testing.T) {
	clk := newClock()
	g := newGateway(t, ok(`""`))
	g.expire.Store(60)
	c := New(g.URL, testConfig(), WithClock(clk.Now), WithLogger(quiet()))

	_, err := c.Operate(context.Background(), "p-1", Start)
	require.NoError(t, err)
	clk.Advance(53 * time.Second)
	_, err = c.Operate(context.Background(), "p-1", Start)
	require.NoError(t, err)
	assert.Zero(t, g.tokenRefreshes.Load())
	clk.Advance(2 * time.Second)
	_, err = c.Operate(context.Background(), "p-1", Start)
	require.NoError(t, err)
	assert.Equal(t, int32(1), g.tokenRefreshes.Load())
}

func TestFailedRefreshKeepsTheValidToken(t *testing.T) {
	clk := newClock()
	g := newGateway(t, ok(`""`))
	g.tokenStatus = func(path string) int {
		if path == pathTokenRefresh {
			return 1204
		}
		return 0
	}
	c := New(g.URL, testConfig(), WithClock(clk.Now), WithLogger(quiet()))

	_, err := c.Operate(context.Background(), "p-1", Start)
	require.NoError(t, err)
	clk.Advance(7200*time.Second - time.Minute)
	for range 3 {
		_, err = c.Operate(context.Background(), "p-1", Start)
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), g.tokenRefreshes.Load(), "a failed refresh is not repeated on every call")
	for _, r := range g.seen() {
		assert.Equal(t, "tok-1", r.Token)
	}
	clk.Advance(refreshRetryGap)
	_, err = c.Operate(context.Background(), "p-1", Start)
	require.NoError(t, err)
	assert.Equal(t, int32(2), g.tokenRefreshes.Load())
}

func TestTokenRefusedRenewsOnceAndResends(t *testing.T) {
	for name, refuse := range map[string]func(w http.ResponseWriter){
		"401 and 1203": func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"code":1203,"msg":"token expired","requestId":"r-401"}`)
		},
		"200 and 1203": func(w http.ResponseWriter) {
			fmt.Fprint(w, `{"code":1203,"msg":"token expired","requestId":"r-200"}`)
		},
		"bare 401": func(w http.ResponseWriter) { w.WriteHeader(http.StatusUnauthorized) },
	} {
		t.Run(name, func(t *testing.T) {
			g := newGateway(t, func(w http.ResponseWriter, r apiRequest) {
				if r.Token == "tok-1" {
					refuse(w)
					return
				}
				ok(`""`)(w, r)
			})
			c := New(g.URL, testConfig(), WithLogger(quiet()))
			id, err := c.Operate(context.Background(), "p-1", Pause)
			require.NoError(t, err)
			assert.Equal(t, "5f2e8c01", id)
			assert.Equal(t, int32(2), g.tokenGets.Load())
			assert.Equal(t, int32(2), g.apiCalls.Load())
		})
	}
}

func TestTokenRefusedTwiceGivesUp(t *testing.T) {
	g := newGateway(t, func(w http.ResponseWriter, r apiRequest) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"code":1203,"msg":"token expired","requestId":"r-x"}`)
	})
	c := New(g.URL, testConfig(), WithLogger(quiet()))
	_, err := c.Operate(context.Background(), "p-1", Pause)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, &Error{HTTPStatus: 401, Code: 1203, Msg: "token expired", RequestID: "r-x"}, e)
	assert.Equal(t, int32(2), g.tokenGets.Load())
	assert.Equal(t, int32(2), g.apiCalls.Load())
}

func TestForbiddenIsNotATokenProblem(t *testing.T) {
	g := newGateway(t, func(w http.ResponseWriter, r apiRequest) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"code":1003,"msg":"invalid signature","requestId":"r-sig"}`)
	})
	c := New(g.URL, testConfig(), WithLogger(quiet()))
	_, err := c.Operate(context.Background(), "p-1", Pause)
	assert.EqualError(t, err, "EnOS error 1003: invalid signature (request ID r-sig)")
	assert.Equal(t, int32(1), g.tokenGets.Load())
	assert.Equal(t, int32(1), g.apiCalls.Load())
}

func TestContextCancelStopsACall(t *testing.T) {
	arrived := make(chan struct{})
	g := newGateway(t, func(w http.ResponseWriter, r apiRequest) {
		close(arrived)
		hang(w, r)
	})
	c := New(g.URL, testConfig(), WithLogger(quiet()))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, err := c.Pipeline(ctx, "p-1")
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, int32(1), g.apiCalls.Load(), "a cancelled read is not retried")
}

func TestWaitingForTokenHonoursContext(t *testing.T) {
	c := New("http://127.0.0.1:1", testConfig(), WithLogger(quiet()))
	c.tokens.sem <- struct{}{} // a fetch in progress elsewhere
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, err := c.Operate(ctx, "p-1", Pause)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
}

func TestLogsHoldNoSecrets(t *testing.T) {
	var buf syncbuf.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clk := newClock()
	g := newGateway(t, func(w http.ResponseWriter, r apiRequest) {
		if r.Token == "tok-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		ok(`""`)(w, r)
	})
	c := New(g.URL, testConfig(), WithClock(clk.Now), WithLogger(log))
	_, err := c.Operate(context.Background(), "p-1", Pause)
	require.NoError(t, err)
	clk.Advance(7000 * time.Second)
	_, err = c.Operate(context.Background(), "p-1", Start)
	require.NoError(t, err)

	out := buf.String()
	assert.Contains(t, out, `"provider_request_id":"5f2e8c01"`, "the log does say what happened")
	for _, secret := range []string{testSecret, "tok-1", "tok-2", "tok-3"} {
		assert.NotContains(t, out, secret)
	}
	for _, r := range g.seen() {
		assert.NotContains(t, out, r.Signature)
	}
}
