package egsim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The verifier's arithmetic against Huawei's published example
// (docs/providers.md §1d).
func TestVerifierMatchesThePublishedVector(t *testing.T) {
	req, err := http.NewRequest(http.MethodGet,
		"https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0", nil)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Sdk-Date", "20191115T033655Z")
	got := expectedSignature(req, []string{"content-type", "host", "x-sdk-date"}, nil, "20191115T033655Z", "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc")
	assert.Equal(t, "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe", got)
}

// sdkStyle builds a request the way Huawei's Go SDK signs it: user-agent,
// x-project-id and x-sdk-date, no host, and a JSON body ending in a newline.
func sdkStyle(t *testing.T, f *fixture, at time.Time, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+streamsPath("/operate/es-1"), strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0")
	req.Header.Set("X-Project-Id", project)
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	date := at.UTC().Format(sdkDateLayout)
	req.Header.Set("X-Sdk-Date", date)
	names := []string{"user-agent", "x-project-id", "x-sdk-date"}
	sig := expectedSignature(req, names, []byte(body), date, "SK")
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access=AK, SignedHeaders="+strings.Join(names, ";")+", Signature="+sig)
	return req
}

func TestAcceptsTheGoSDKSigningShape(t *testing.T) {
	f := newFixture(t)
	req := sdkStyle(t, f, startTime, "{\"operation\":\"PAUSE\"}\n")
	req.Header.Set("Accept", "*/*") // unsigned headers may change
	r := send(t, req)
	assert.Equal(t, 200, r.status, r.body)
	s, _ := f.sim.Stream("es-1")
	assert.Equal(t, "STOPPED", s.Status)
}

func TestSignatureCoversWhatWasSent(t *testing.T) {
	f := newFixture(t)
	tampered := map[string]func(*http.Request){
		"body without its newline": func(r *http.Request) {
			signed := sdkStyle(t, f, startTime, "{\"operation\":\"PAUSE\"}\n")
			r.Header.Set("Authorization", signed.Header.Get("Authorization"))
		},
		"a signed header": func(r *http.Request) { r.Header.Set("User-Agent", "other") },
		"the signature": func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Signature=", "Signature=0", 1))
		},
	}
	for name, change := range tampered {
		t.Run(name, func(t *testing.T) {
			req := sdkStyle(t, f, startTime, `{"operation":"PAUSE"}`)
			change(req)
			r := send(t, req)
			assertError(t, r, 401, codeBadSignature)
			assert.Equal(t, "verify aksk signature fail", r.body["error_details"])
		})
	}
	s, _ := f.sim.Stream("es-1")
	assert.Equal(t, "RUNNING", s.Status)
}

func TestSignatureRefusals(t *testing.T) {
	f := newFixture(t)
	cases := map[string]struct {
		change func(*http.Request)
		want   string
	}{
		"date too old": {func(r *http.Request) {}, "more than 15 minutes"},
		"unknown key": {func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Access=AK", "Access=XX", 1))
		}, "unknown access key"},
		"malformed": {func(r *http.Request) { r.Header.Set("Authorization", "SDK-HMAC-SHA256 Access=AK") }, "needs Access, SignedHeaders and Signature"},
		"date not signed": {func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";x-sdk-date", "", 1))
		}, "x-sdk-date must be signed"},
		"date unparseable":  {func(r *http.Request) { r.Header.Set("X-Sdk-Date", "2025-03-01T12:00:00Z") }, "X-Sdk-Date must be UTC"},
		"date far ahead":    {func(r *http.Request) { r.Header.Set("X-Sdk-Date", startTime.Add(16*time.Minute).Format(sdkDateLayout)) }, "more than 15 minutes"},
		"date within range": {nil, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			at := startTime.Add(-14 * time.Minute)
			if name == "date too old" {
				at = startTime.Add(-16 * time.Minute)
			}
			req := sdkStyle(t, f, at, `{"operation":"START"}`)
			if tc.change == nil {
				assert.Equal(t, 200, send(t, req).status)
				return
			}
			tc.change(req)
			r := send(t, req)
			assertError(t, r, 401, codeBadSignature)
			assert.Contains(t, r.body["error_details"], tc.want)
		})
	}
}

func TestRepeatedSignatureFailuresLockTheKey(t *testing.T) {
	f := newFixture(t)
	bad := func() response {
		req := sdkStyle(t, f, f.clk.Now(), `{"operation":"PAUSE"}`)
		req.Header.Set("User-Agent", "tampered")
		return send(t, req)
	}
	good := func() response { return send(t, sdkStyle(t, f, f.clk.Now(), `{"operation":"PAUSE"}`)) }

	for range 5 {
		bad()
	}
	assert.Equal(t, 200, good().status, "five failures in a row are tolerated, and a success resets the count")
	for range 6 {
		bad()
	}
	r := good()
	assertError(t, r, 401, codeBadSignature)
	assert.Contains(t, r.body["error_details"], "locked")
	f.clk.Advance(5 * time.Minute)
	assert.Equal(t, 200, good().status, "unlocked after five minutes")
}

// sandbox.eg's demo key pair works beside eg.auth's, so that other clients
// can sign requests whatever sign-in the bot itself uses.
func TestAcceptsTheSandboxKeyPair(t *testing.T) {
	f := newFixture(t)
	cfg := Config{AccessKey: "DEMO-AK", SecretKey: "DEMO-SK", Streams: []Stream{{ID: "es-1"}}}
	require.NoError(t, cfg.Validate())
	f.sim = New(cfg, testCreds, testOps, WithClock(f.clk.Now))
	f.srv = httptest.NewServer(f.sim)
	t.Cleanup(f.srv.Close)

	sign := func(ak, sk string) *http.Request {
		req := sdkStyle(t, f, startTime, `{"operation":"PAUSE"}`)
		names := []string{"user-agent", "x-project-id", "x-sdk-date"}
		date := req.Header.Get("X-Sdk-Date")
		sig := expectedSignature(req, names, []byte(`{"operation":"PAUSE"}`), date, sk)
		req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access="+ak+", SignedHeaders="+strings.Join(names, ";")+", Signature="+sig)
		return req
	}
	assert.Equal(t, 200, send(t, sign("DEMO-AK", "DEMO-SK")).status)
	assert.Equal(t, 200, send(t, sign("AK", "SK")).status, "eg.auth's pair still works")
	assertError(t, send(t, sign("DEMO-AK", "SK")), 401, codeBadSignature)

	assert.ErrorContains(t, Config{AccessKey: "only"}.Validate(), "sandbox.eg.access_key: access_key and secret_key are set together")
}
