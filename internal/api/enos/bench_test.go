package enos

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/go-resty/resty/v2"
)

// benchServer answers every call with a success envelope, tokens included.
func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pathTokenGet {
			fmt.Fprint(w, `{"status":0,"msg":"SUCCESS","data":{"accessToken":"tok","expire":7200}}`)
			return
		}
		fmt.Fprint(w, `{"code":0,"msg":"OK","requestId":"5f2e8c01","data":""}`)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkOperate is a signed, decoded Operate with a cached token.
func BenchmarkOperate(b *testing.B) {
	srv := benchServer(b)
	c := New(srv.URL, testConfig(), WithLogger(quiet()))
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.Operate(ctx, "p-1", Pause); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselinePost is the same POST through plain resty: no token,
// signature or envelope. Operate's cost is read against it.
func BenchmarkBaselinePost(b *testing.B) {
	srv := benchServer(b)
	rc := resty.New().SetBaseURL(srv.URL).SetTimeout(testConfig().Timeout)
	q := url.Values{"action": {"pause"}, "orgId": {testOrg}}
	for b.Loop() {
		resp, err := rc.R().SetQueryParamsFromValues(q).Post("/streaming/v2.0/streaming/pipeline/p-1")
		if err != nil || resp.StatusCode() != http.StatusOK {
			b.Fatal(err)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	q := url.Values{"action": {"pause"}, "orgId": {testOrg}}
	for b.Loop() {
		sign("tok-1", q, nil, "1572574909697", testSecret)
	}
}

// BenchmarkBaselineSHA256 hashes the same bytes as BenchmarkSign in one go.
func BenchmarkBaselineSHA256(b *testing.B) {
	in := []byte("tok-1actionpauseorgId" + testOrg + "1572574909697" + testSecret)
	for b.Loop() {
		sha256.Sum256(in)
	}
}
