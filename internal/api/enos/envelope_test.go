package enos

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeEnvelope(t *testing.T) {
	for name, tc := range map[string]struct {
		status int
		body   string
		key    string
		want   envelope
		err    *Error
	}{
		"success":        {200, `{"code":0,"msg":"OK","requestId":"r1","data":""}`, "code", envelope{Msg: "OK", RequestID: "r1", Data: json.RawMessage(`""`)}, nil},
		"seed example":   {200, `{"code":0,"msg":"OK"}`, "code", envelope{Msg: "OK"}, nil},
		"string code":    {200, `{"code":"61108","msg":"m","requestId":"r"}`, "code", envelope{}, &Error{HTTPStatus: 200, Code: 61108, Msg: "m", RequestID: "r"}},
		"token status":   {200, `{"status":1003,"msg":"invalid encryption","business":"apim-token-service"}`, "status", envelope{}, &Error{HTTPStatus: 200, Code: 1003, Msg: "invalid encryption"}},
		"wrong key":      {200, `{"status":0}`, "code", envelope{}, &Error{HTTPStatus: 200, Msg: `not an EnOS envelope (HTTP 200 OK): {"status":0}`}},
		"5xx code 0":     {503, `{"code":0,"msg":"OK","requestId":"r"}`, "code", envelope{}, &Error{HTTPStatus: 503, Msg: `HTTP error with a success envelope: {"code":0,"msg":"OK","requestId":"r"}`, RequestID: "r"}},
		"msg not string": {200, `{"code":7,"msg":{"zh":"错误"}}`, "code", envelope{}, &Error{HTTPStatus: 200, Code: 7, Msg: `{"zh":"错误"}`}},
		"float code":     {200, `{"code":1.5}`, "code", envelope{}, &Error{HTTPStatus: 200, Msg: `not an EnOS envelope (HTTP 200 OK): {"code":1.5}`}},
		"trailing comma": {200, `{"code": 0, "msg": "OK",}`, "code", envelope{}, &Error{HTTPStatus: 200, Msg: `not an EnOS envelope (HTTP 200 OK): {"code": 0, "msg": "OK",}`}},
	} {
		t.Run(name, func(t *testing.T) {
			env, err := decodeEnvelope(tc.status, []byte(tc.body), tc.key)
			if tc.err == nil {
				require.NoError(t, err)
				assert.Equal(t, tc.want, env)
				return
			}
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.err, e)
		})
	}
}

// FuzzDecodeEnvelope feeds gateway answers from outside: decoding must not
// panic, must not call a non-zero code success, and must keep error text
// printable and bounded.
func FuzzDecodeEnvelope(f *testing.F) {
	f.Add(200, []byte(`{"code":0,"msg":"OK","requestId":"r","data":""}`))
	f.Add(200, []byte(`{"code":61152,"msg":"Status of the stream processing job cannot be changed from [STOPPED] to Paused.","requestId":"5f2e"}`))
	f.Add(401, []byte(`{"code":"1203"}`))
	f.Add(502, []byte("<html>\x00\xff bad gateway</html>"))
	f.Add(200, []byte(`{"code": 0, "msg": "OK",}`))
	f.Add(200, []byte(`{"code":99999999999}`))
	f.Add(0, []byte{})
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		env, err := decodeEnvelope(status, body, "code")
		if err == nil {
			if env.Code != 0 || status < 200 || status > 299 {
				t.Fatalf("accepted code %d on HTTP %d", env.Code, status)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("not an *Error: %T", err)
		}
		if e.Code == 0 && len(e.Msg) > 3*bodySnippetLen+100 {
			t.Fatalf("unbounded message: %d bytes", len(e.Msg))
		}
		if e.Code == 0 && (!utf8.ValidString(e.Msg) || strings.ContainsAny(e.Msg, "\n\r\x00")) {
			t.Fatalf("unprintable message %q", e.Msg)
		}
		if e.Error() == "" || e.ProviderCode() == "" {
			t.Fatal("empty error text")
		}
	})
}
