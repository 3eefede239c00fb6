package enossim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/fakeclock"
)

const (
	org    = "o15000000000001"
	key    = "app-key-1"
	secret = "app-secret-1"
)

type harness struct {
	t   *testing.T
	clk *fakeclock.Clock
	sim *Simulator
	url string
}

func newHarness(t *testing.T, pipelines ...Pipeline) *harness {
	clk := fakeclock.New(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	sim := New(Config{Pipelines: pipelines}, org, key, secret,
		WithClock(clk.Now), WithTokenTTL(time.Hour), WithLogger(slog.New(slog.DiscardHandler)))
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &harness{t: t, clk: clk, sim: sim, url: srv.URL}
}

type answer struct {
	HTTPStatus int
	Code       int             `json:"code"`
	Status     int             `json:"status"`
	Msg        string          `json:"msg"`
	RequestID  string          `json:"requestId"`
	Data       json.RawMessage `json:"data"`
}

func (h *harness) post(path string, body any) answer {
	h.t.Helper()
	b, err := json.Marshal(body)
	require.NoError(h.t, err)
	resp, err := http.Post(h.url+path, "application/json", bytes.NewReader(b))
	require.NoError(h.t, err)
	return decode(h.t, resp)
}

func decode(t *testing.T, resp *http.Response) answer {
	t.Helper()
	defer resp.Body.Close()
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var a answer
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&a))
	a.HTTPStatus = resp.StatusCode
	assert.Len(t, a.RequestID, 32, "every answer has a request ID")
	return a
}

func tokenBody(appKey, appSecret string, ts int64) map[string]any {
	sum := sha256.Sum256([]byte(appKey + strconv.FormatInt(ts, 10) + appSecret))
	return map[string]any{"appKey": appKey, "encryption": hex.EncodeToString(sum[:]), "timestamp": ts}
}

func (h *harness) token() tokenData {
	h.t.Helper()
	a := h.post("/apim-token-service/v2.0/token/get", tokenBody(key, secret, h.clk.Now().UnixMilli()))
	require.Zero(h.t, a.Status, a.Msg)
	var d tokenData
	require.NoError(h.t, json.Unmarshal(a.Data, &d))
	return d
}

// sig is the documented signature, computed here independently.
func sig(tok string, q url.Values, body, ts string) string {
	names := make([]string, 0, len(q))
	for n := range q {
		names = append(names, n)
	}
	sort.Strings(names)
	s := tok
	for _, n := range names {
		for _, v := range q[n] {
			s += n + v
		}
	}
	sum := sha256.Sum256([]byte(s + body + ts + secret))
	return hex.EncodeToString(sum[:])
}

// call is a signed API call; tamper may spoil it before it is sent.
func (h *harness) call(method, path string, q url.Values, body string, tok string, tamper func(*http.Request)) answer {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path+"?"+q.Encode(), bytes.NewBufferString(body))
	require.NoError(h.t, err)
	ts := strconv.FormatInt(h.clk.Now().UnixMilli(), 10)
	req.Header.Set("apim-accesstoken", tok)
	req.Header.Set("apim-timestamp", ts)
	req.Header.Set("apim-signature", sig(tok, q, body, ts))
	if tamper != nil {
		tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	return decode(h.t, resp)
}

func (h *harness) operate(id, action, tok string) answer {
	h.t.Helper()
	return h.call(http.MethodPost, "/streaming/v2.0/streaming/pipeline/"+url.PathEscape(id), url.Values{"action": {action}, "orgId": {org}}, "", tok, nil)
}

func TestTokenSameWhileValid(t *testing.T) {
	h := newHarness(t)
	first := h.token()
	assert.EqualValues(t, 3600, first.Expire)
	h.clk.Advance(10 * time.Minute)
	again := h.token()
	assert.Equal(t, first.AccessToken, again.AccessToken)
	assert.EqualValues(t, 3000, again.Expire, "expire counts the seconds left")
	h.clk.Advance(50 * time.Minute)
	fresh := h.token()
	assert.NotEqual(t, first.AccessToken, fresh.AccessToken)
	assert.EqualValues(t, 3600, fresh.Expire)
}

func TestTokenAnswerShape(t *testing.T) {
	h := newHarness(t)
	resp, err := http.Post(h.url+"/apim-token-service/v2.0/token/get", "application/json",
		bytes.NewReader(must(json.Marshal(tokenBody(key, secret, h.clk.Now().UnixMilli())))))
	require.NoError(t, err)
	defer resp.Body.Close()
	var raw map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&raw))
	assert.Equal(t, float64(0), raw["status"])
	assert.Equal(t, "SUCCESS", raw["msg"])
	assert.Equal(t, "apim-token-service", raw["business"])
	assert.Equal(t, float64(3600), raw["data"].(map[string]any)["expire"])
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestTokenServiceRefusals(t *testing.T) {
	h := newHarness(t)
	now := h.clk.Now().UnixMilli()
	for name, tc := range map[string]struct {
		body   any
		status int
	}{
		"no app key":       {tokenBody("", secret, now), 1002},
		"wrong secret":     {tokenBody(key, "nope", now), 1003},
		"unknown app key":  {tokenBody("other", secret, now), 1003},
		"not an object":    {[]int{1}, 1004},
		"no timestamp":     {map[string]any{"appKey": key, "encryption": "x"}, 1004},
		"stale timestamp":  {tokenBody(key, secret, now-6*60*1000), 1004},
		"future timestamp": {tokenBody(key, secret, now+6*60*1000), 1004},
	} {
		t.Run(name, func(t *testing.T) {
			a := h.post("/apim-token-service/v2.0/token/get", tc.body)
			assert.Equal(t, http.StatusOK, a.HTTPStatus)
			assert.Equal(t, tc.status, a.Status, a.Msg)
			assert.NotEmpty(t, a.Msg)
			assert.NotContains(t, a.Msg, secret)
		})
	}
}

func TestTokenRefresh(t *testing.T) {
	h := newHarness(t, Pipeline{ID: "p-1", Status: StatusRunning})
	old := h.token()
	body := tokenBody(key, secret, h.clk.Now().UnixMilli())
	body["accessToken"] = old.AccessToken
	a := h.post("/apim-token-service/v2.0/token/refresh", body)
	require.Zero(t, a.Status, a.Msg)
	var fresh tokenData
	require.NoError(t, json.Unmarshal(a.Data, &fresh))
	assert.NotEqual(t, old.AccessToken, fresh.AccessToken)
	assert.Equal(t, fresh.AccessToken, h.token().AccessToken, "get now hands out the refreshed token")
	assert.Zero(t, h.call(http.MethodGet, "/streaming/v2.0/streaming/pipeline/p-1", url.Values{"orgId": {org}}, "", old.AccessToken, nil).Code,
		"the old token stays good until it expires")

	body["accessToken"] = "never-issued"
	assert.Equal(t, 1204, h.post("/apim-token-service/v2.0/token/refresh", body).Status)
}

func TestAuthFailures(t *testing.T) {
	h := newHarness(t, Pipeline{ID: "p-1", Name: "orders", Status: StatusRunning})
	tok := h.token().AccessToken
	q := url.Values{"action": {"pause"}, "orgId": {org}}
	path := "/streaming/v2.0/streaming/pipeline/p-1"
	for name, tc := range map[string]struct {
		tok        string
		q          url.Values
		tamper     func(*http.Request)
		httpStatus int
		code       int
	}{
		"no token":      {"", q, nil, 401, 1203},
		"unknown token": {"forged", q, nil, 401, 1203},
		"bad signature": {tok, q, func(r *http.Request) { r.Header.Set("apim-signature", sig(tok, q, "", "1")) }, 403, 1003},
		"signed with another query": {tok, q, func(r *http.Request) {
			r.URL.RawQuery = url.Values{"action": {"stop"}, "orgId": {org}}.Encode()
		}, 403, 1003},
		"stale timestamp":  {tok, q, restamp(tok, q, h.clk.Now().Add(-6*time.Minute)), 403, 1004},
		"future timestamp": {tok, q, restamp(tok, q, h.clk.Now().Add(6*time.Minute)), 403, 1004},
		"no timestamp":     {tok, q, func(r *http.Request) { r.Header.Del("apim-timestamp") }, 403, 1004},
		"other org":        {tok, url.Values{"action": {"pause"}, "orgId": {"o-else"}}, nil, 403, 1004},
		"no org":           {tok, url.Values{"action": {"pause"}}, nil, 403, 1004},
	} {
		t.Run(name, func(t *testing.T) {
			a := h.call(http.MethodPost, path, tc.q, "", tc.tok, tc.tamper)
			assert.Equal(t, tc.httpStatus, a.HTTPStatus)
			assert.Equal(t, tc.code, a.Code, a.Msg)
			p, _ := h.sim.Pipeline("p-1")
			assert.Equal(t, StatusRunning, p.Status, "a refused call changes nothing")
		})
	}
}

// restamp signs the request for another time.
func restamp(tok string, q url.Values, at time.Time) func(*http.Request) {
	return func(r *http.Request) {
		ts := strconv.FormatInt(at.UnixMilli(), 10)
		r.Header.Set("apim-timestamp", ts)
		r.Header.Set("apim-signature", sig(tok, q, "", ts))
	}
}

func TestExpiredTokenRefused(t *testing.T) {
	h := newHarness(t, Pipeline{ID: "p-1", Status: StatusRunning})
	tok := h.token().AccessToken
	h.clk.Advance(time.Hour)
	a := h.operate("p-1", "pause", tok)
	assert.Equal(t, 401, a.HTTPStatus)
	assert.Equal(t, 1203, a.Code)
}

func TestStateMachine(t *testing.T) {
	const ok = 0
	cases := []struct {
		from, action, to string
		code             int
		msg              string
	}{
		{StatusRunning, "pause", StatusPaused, ok, "OK"},
		{StatusPublished, "pause", StatusPublished, 61152, "Status of the stream processing job cannot be changed from [PUBLISHED] to Paused."},
		{StatusPaused, "pause", StatusPaused, 61152, "Status of the stream processing job cannot be changed from [PAUSED] to Paused."},
		{StatusStopped, "pause", StatusStopped, 61152, "Status of the stream processing job cannot be changed from [STOPPED] to Paused."},
		{StatusPublished, "start", StatusRunning, ok, "OK"},
		{StatusStopped, "start", StatusRunning, ok, "OK"},
		{StatusPaused, "start", StatusRunning, ok, "OK"},
		{StatusRunning, "start", StatusRunning, 61165, "Status of the stream processing job [RUNNING] cannot be started."},
		{StatusRunning, "stop", StatusStopped, ok, "OK"},
		{StatusPaused, "stop", StatusStopped, ok, "OK"},
		{StatusPublished, "stop", StatusPublished, 61152, "Status of the stream processing job cannot be changed from [PUBLISHED] to Stopped."},
		{StatusStopped, "stop", StatusStopped, 61152, "Status of the stream processing job cannot be changed from [STOPPED] to Stopped."},
		{StatusRunning, "resume", StatusRunning, 61100, "Invalid parameter: action [resume] is not supported."},
		{StatusRunning, "", StatusRunning, 61100, "Invalid parameter: action [] is not supported."},
	}
	for _, tc := range cases {
		t.Run(tc.from+" "+tc.action, func(t *testing.T) {
			h := newHarness(t, Pipeline{ID: "p-1", Name: "orders", Status: tc.from})
			a := h.operate("p-1", tc.action, h.token().AccessToken)
			assert.Equal(t, http.StatusOK, a.HTTPStatus, "API errors travel on HTTP 200")
			assert.Equal(t, tc.code, a.Code)
			assert.Equal(t, tc.msg, a.Msg)
			if tc.code == ok {
				assert.JSONEq(t, `""`, string(a.Data))
			}
			p, _ := h.sim.Pipeline("p-1")
			assert.Equal(t, tc.to, p.Status)
		})
	}
}

func TestUnknownPipeline(t *testing.T) {
	h := newHarness(t)
	tok := h.token().AccessToken
	for _, a := range []answer{
		h.operate("p-x", "pause", tok),
		h.call(http.MethodGet, "/streaming/v2.0/streaming/pipeline/p-x", url.Values{"orgId": {org}}, "", tok, nil),
	} {
		assert.Equal(t, 61108, a.Code)
		assert.Equal(t, "Stream processing job does not exit.", a.Msg)
	}
}

func TestStartBodyMustBeJSON(t *testing.T) {
	h := newHarness(t, Pipeline{ID: "p-1", Status: StatusStopped})
	tok := h.token().AccessToken
	q := url.Values{"action": {"start"}, "orgId": {org}}
	path := "/streaming/v2.0/streaming/pipeline/p-1"
	assert.Equal(t, 61100, h.call(http.MethodPost, path, q, "{nope", tok, nil).Code)
	assert.Zero(t, h.call(http.MethodPost, path, q, `{"executionMode":0,"kafkaRate":1000}`, tok, nil).Code, "the body is signed and accepted")
}

func TestShowAndList(t *testing.T) {
	var ps []Pipeline
	for i := range 5 {
		ps = append(ps, Pipeline{ID: fmt.Sprintf("p-%d", i), Name: fmt.Sprintf("job %d", i), Status: StatusPublished})
	}
	h := newHarness(t, ps...)
	tok := h.token().AccessToken

	a := h.call(http.MethodGet, "/streaming/v2.0/streaming/pipeline/p-3", url.Values{"orgId": {org}}, "", tok, nil)
	require.Zero(t, a.Code)
	assert.JSONEq(t, `{"pipelineId":"p-3","pipelineName":"job 3","status":"PUBLISHED"}`, string(a.Data))

	list := func(q url.Values) answer {
		q.Set("orgId", org)
		return h.call(http.MethodGet, "/streaming/v2.0/streaming/pipelines", q, "", tok, nil)
	}
	a = list(url.Values{"pageSize": {"2"}, "pageNo": {"3"}})
	require.Zero(t, a.Code)
	assert.JSONEq(t, `{"count":5,"pipelines":[{"pipelineId":"p-4","pipelineName":"job 4","status":"PUBLISHED"}]}`, string(a.Data))
	a = list(url.Values{"pageSize": {"2"}, "pageNo": {"9"}})
	assert.JSONEq(t, `{"count":5,"pipelines":[]}`, string(a.Data))
	a = list(url.Values{})
	var d struct{ Pipelines []json.RawMessage }
	require.NoError(t, json.Unmarshal(a.Data, &d))
	assert.Len(t, d.Pipelines, 5, "default page size 10")
	for _, bad := range []url.Values{{"pageSize": {"0"}}, {"pageSize": {"101"}}, {"pageNo": {"0"}}, {"pageNo": {"x"}}} {
		assert.Equal(t, 61100, list(bad).Code, "%v", bad)
	}
}

func TestUnknownRoute(t *testing.T) {
	h := newHarness(t)
	resp, err := http.Get(h.url + "/streaming/v2.0/nothing")
	require.NoError(t, err)
	a := decode(t, resp)
	assert.Equal(t, http.StatusNotFound, a.HTTPStatus)
	assert.NotZero(t, a.Code)
}

func TestRequestIDsUnique(t *testing.T) {
	h := newHarness(t, Pipeline{ID: "p-1", Status: StatusRunning})
	tok := h.token().AccessToken
	seen := map[string]bool{}
	for range 50 {
		a := h.operate("p-1", "stop", tok)
		assert.False(t, seen[a.RequestID])
		seen[a.RequestID] = true
	}
}

func TestConcurrentPausesActOnce(t *testing.T) {
	h := newHarness(t, Pipeline{ID: "p-1", Status: StatusRunning})
	tok := h.token().AccessToken
	var okCount, refused atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			switch h.operate("p-1", "pause", tok).Code {
			case 0:
				okCount.Add(1)
			case 61152:
				refused.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), okCount.Load())
	assert.Equal(t, int32(19), refused.Load())
}

func TestConfigValidate(t *testing.T) {
	assert.NoError(t, Config{}.Validate())
	assert.NoError(t, Config{Listen: "127.0.0.1:8081", Pipelines: []Pipeline{{ID: "p-1", Name: "n", Status: StatusRunning}}}.Validate())

	err := Config{
		Pipelines: []Pipeline{
			{ID: "p-1", Status: StatusRunning},
			{ID: "", Status: StatusPaused},
			{ID: "p-1", Status: "running"},
			{ID: "a b", Status: StatusStopped},
		},
	}.Validate()
	require.Error(t, err)
	for _, want := range []string{
		`sandbox.enos.pipelines[1].id: required`,
		`sandbox.enos.pipelines[2].id: "p-1" is already used by pipelines[0]`,
		`sandbox.enos.pipelines[2].status: "running" is not one of PUBLISHED, RUNNING, PAUSED, STOPPED`,
		`sandbox.enos.pipelines[3].id: "a b" must not contain whitespace or '/'`,
	} {
		assert.Contains(t, err.Error(), want)
	}
}
