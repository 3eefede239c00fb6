package eg

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkCall measures a whole call against a local server, unsigned
// (token) as the baseline and AK/SK-signed, with and without a JSON body, so
// the figures compare as ratios on the same machine and run.
func BenchmarkCall(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("X-Request-Id", "rid")
		_, _ = io.WriteString(w, `{"eventStreamingID":"es-1","id":"es-1","status":"RUNNING"}`)
	}))
	defer srv.Close()
	aksk := tokenConfig()
	aksk.Auth = Auth{Mode: AuthAKSK, AccessKey: "AK", SecretKey: "SK"}
	quiet := WithLogger(slog.New(slog.DiscardHandler))
	for _, mode := range []struct {
		name string
		cfg  Config
	}{{"token", tokenConfig()}, {"aksk", aksk}} {
		c, err := New(srv.URL, "", mode.cfg, quiet)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("get/"+mode.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.Stream(context.Background(), "es-1"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("post/"+mode.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.OperateStream(context.Background(), "es-1", StreamPause); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSign isolates the signature from the round trip; its baseline
// builds the same request without signing it.
func BenchmarkSign(b *testing.B) {
	body := []byte(`{"operation":"SWITCH","config":{"switch_now":true,"sink_address":"10.0.0.1:9092,10.0.0.2:9092"}}`)
	newReq := func() *http.Request {
		req, _ := http.NewRequest(http.MethodPost, "https://eg.cn-north-4.myhuaweicloud.com/v1/"+testProject+"/eventrouter/jobs/j-1/action", nil)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(projectHeader, testProject)
		return req
	}
	s := signer{accessKey: "AK", secretKey: "SK"}
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			_ = newReq()
		}
	})
	b.Run("build+sign", func(b *testing.B) {
		for b.Loop() {
			s.sign(newReq(), body, testTime)
		}
	})
}
