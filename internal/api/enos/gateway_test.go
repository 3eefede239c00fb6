package enos

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/streamops/streamops/internal/fakeclock"
)

const (
	testOrg    = "o15000000000001"
	testKey    = "4f1d9e0a-app-key"
	testSecret = "s3cret-Value-9"
)

func testConfig() Config {
	return Config{Endpoint: "sandbox", OrgID: testOrg, AppKey: testKey, AppSecret: testSecret, Timeout: 2 * time.Second}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newClock() *fakeclock.Clock { return fakeclock.New(time.UnixMilli(1572574909697)) }

// refSign is the signature of docs/providers.md §2b, written out from the
// page's words.
func refSign(token, rawQuery string, body []byte, ts, secret string) string {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		panic(err)
	}
	names := make([]string, 0, len(q))
	for n := range q {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(token)
	for _, n := range names {
		for _, v := range q[n] {
			b.WriteString(n + v)
		}
	}
	b.Write(body)
	b.WriteString(ts + secret)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// apiRequest is what the fake gateway saw of one API call.
type apiRequest struct {
	Method, Path, RawQuery, Token, Signature, Timestamp, ContentType string
	Body                                                             []byte
	ctx                                                              context.Context
}

// gateway is a fake EnOS API gateway that checks the wire format on its own
// terms and hands API calls, once checked, to api.
type gateway struct {
	*httptest.Server
	t      *testing.T
	expire atomic.Int64 // seconds, in token answers

	tokenGets, tokenRefreshes, apiCalls atomic.Int32

	mu       sync.Mutex
	issued   int
	current  string
	requests []apiRequest
	// tokenStatus, when set, is the token service's answer instead of a token.
	tokenStatus func(path string) int
	api         func(w http.ResponseWriter, r apiRequest)
}

func newGateway(t *testing.T, api func(w http.ResponseWriter, r apiRequest)) *gateway {
	g := &gateway{t: t, api: api}
	g.expire.Store(7200)
	g.Server = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.Close)
	return g
}

func (g *gateway) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	assert.NoError(g.t, err)
	switch r.URL.Path {
	case pathTokenGet, pathTokenRefresh:
		g.serveToken(w, r, body)
		return
	}
	g.apiCalls.Add(1)
	req := apiRequest{
		Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		Token: r.Header.Get("apim-accesstoken"), Signature: r.Header.Get("apim-signature"),
		Timestamp: r.Header.Get("apim-timestamp"), ContentType: r.Header.Get("Content-Type"), Body: body,
		ctx: r.Context(),
	}
	assert.Equal(g.t, refSign(req.Token, req.RawQuery, body, req.Timestamp, testSecret), req.Signature, "signature of %s %s", r.Method, r.URL)
	g.mu.Lock()
	g.requests = append(g.requests, apiRequest{
		Method: req.Method, Path: req.Path, RawQuery: req.RawQuery, Token: req.Token,
		Signature: req.Signature, Timestamp: req.Timestamp, ContentType: req.ContentType, Body: req.Body,
	})
	g.mu.Unlock()
	g.api(w, req)
}

func (g *gateway) serveToken(w http.ResponseWriter, r *http.Request, body []byte) {
	refresh := r.URL.Path == pathTokenRefresh
	if refresh {
		g.tokenRefreshes.Add(1)
	} else {
		g.tokenGets.Add(1)
	}
	assert.Equal(g.t, http.MethodPost, r.Method)
	assert.Equal(g.t, "application/json", r.Header.Get("Content-Type"))
	var req map[string]any
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	assert.NoError(g.t, dec.Decode(&req), "token body %s", body)
	ts, _ := req["timestamp"].(json.Number)
	assert.NotEmpty(g.t, ts, "timestamp must be a JSON number: %s", body)
	sum := sha256.Sum256([]byte(testKey + ts.String() + testSecret))
	assert.Equal(g.t, testKey, req["appKey"])
	assert.Equal(g.t, hex.EncodeToString(sum[:]), req["encryption"])

	g.mu.Lock()
	defer g.mu.Unlock()
	if refresh {
		assert.Equal(g.t, g.current, req["accessToken"], "refresh must name the current token")
		assert.Len(g.t, req, 4)
	} else {
		assert.Len(g.t, req, 3, "token/get body: %s", body)
	}
	if g.tokenStatus != nil {
		if st := g.tokenStatus(r.URL.Path); st != 0 {
			fmt.Fprintf(w, `{"status":%d,"msg":"%s","business":"apim-token-service"}`, st, tokenStatusMeaning[st])
			return
		}
	}
	g.issued++
	g.current = "tok-" + strconv.Itoa(g.issued)
	fmt.Fprintf(w, `{"status":0,"msg":"SUCCESS","business":"apim-token-service","data":{"accessToken":%q,"expire":%d}}`, g.current, g.expire.Load())
}

func (g *gateway) seen() []apiRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]apiRequest(nil), g.requests...)
}

func ok(data string) func(w http.ResponseWriter, r apiRequest) {
	return func(w http.ResponseWriter, r apiRequest) {
		fmt.Fprintf(w, `{"code":0,"msg":"OK","requestId":"5f2e8c01","data":%s}`, data)
	}
}
