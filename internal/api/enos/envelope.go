package enos

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode"
)

// Codes the client acts on. codeTokenExpired is the token service's "token
// expired" status (docs/providers.md §2b); see Error.tokenExpired for how it
// is used.
const codeTokenExpired = 1203

// bodySnippetLen bounds how much of an unexpected body ends up in an error.
const bodySnippetLen = 200

// Error is a non-zero envelope code, or an HTTP error with no usable
// envelope (then Code is 0). It keeps all the provider said.
type Error struct {
	HTTPStatus int
	Code       int
	Msg        string
	RequestID  string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Code != 0 {
		fmt.Fprintf(&b, "EnOS error %d: %s", e.Code, e.Msg)
	} else {
		fmt.Fprintf(&b, "EnOS HTTP %d: %s", e.HTTPStatus, e.Msg)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request ID %s)", e.RequestID)
	}
	return b.String()
}

// ProviderCode is the envelope code; an HTTP error without one reports its
// status instead, since "0" would read as success.
func (e *Error) ProviderCode() string {
	if e.Code == 0 && e.HTTPStatus != 0 {
		return "HTTP " + strconv.Itoa(e.HTTPStatus)
	}
	return strconv.Itoa(e.Code)
}

func (e *Error) ProviderMessage() string   { return e.Msg }
func (e *Error) ProviderRequestID() string { return e.RequestID }

// tokenExpired recognises the gateway refusing the access token: code 1203
// in the envelope, or HTTP 401 whatever the body says. The gateway answers
// both before the call reaches the stream processing service, so resending
// after them cannot act twice. The simulator answers a missing, unknown or
// expired token with HTTP 401 and code 1203, and every other auth failure
// with HTTP 403, so a bad signature or clock does not cost a token fetch.
func (e *Error) tokenExpired() bool {
	return e.Code == codeTokenExpired || e.HTTPStatus == http.StatusUnauthorized
}

// TokenError is the token service refusing to issue a token.
type TokenError struct {
	HTTPStatus int
	Status     int // the token service's non-zero status, 0 for an HTTP error without one
	Msg        string
	RequestID  string
}

// tokenStatusMeaning is what docs/providers.md §2b says of each status,
// used when the service sends no message of its own.
var tokenStatusMeaning = map[int]string{
	1002: "appKey missing",
	1003: "invalid encryption",
	1004: "invalid parameter",
	1203: "token expired",
	1204: "refresh failed",
}

func (e *TokenError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("EnOS token service failed: HTTP %d: %s", e.HTTPStatus, e.Msg)
	}
	msg := e.Msg
	if msg == "" {
		msg = tokenStatusMeaning[e.Status]
	}
	hint := "check enos.app_key/app_secret"
	if e.Status == 1004 {
		hint += " and this host's clock"
	}
	return fmt.Sprintf("EnOS token service refused the app key: %d %s — %s", e.Status, msg, hint)
}

func (e *TokenError) ProviderCode() string {
	if e.Status == 0 {
		return "HTTP " + strconv.Itoa(e.HTTPStatus)
	}
	return strconv.Itoa(e.Status)
}

func (e *TokenError) ProviderMessage() string   { return e.Msg }
func (e *TokenError) ProviderRequestID() string { return e.RequestID }

type envelope struct {
	Code      int
	Msg       string
	RequestID string
	Data      json.RawMessage
}

// decodeEnvelope reads a gateway answer. codeKey names the result field:
// "code" for the APIs, "status" for the token service. A non-zero code is an
// *Error whatever the HTTP status; so is a body that is not an envelope.
func decodeEnvelope(httpStatus int, body []byte, codeKey string) (envelope, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return envelope{}, &Error{HTTPStatus: httpStatus, Msg: unexpectedBody(httpStatus, body)}
	}
	code, ok := parseCode(fields[codeKey])
	if !ok {
		return envelope{}, &Error{HTTPStatus: httpStatus, Msg: unexpectedBody(httpStatus, body)}
	}
	env := envelope{
		Code:      code,
		Msg:       jsonString(fields["msg"]),
		RequestID: jsonString(fields["requestId"]),
		Data:      fields["data"],
	}
	if code != 0 {
		return env, &Error{HTTPStatus: httpStatus, Code: code, Msg: env.Msg, RequestID: env.RequestID}
	}
	if httpStatus < 200 || httpStatus > 299 {
		return env, &Error{HTTPStatus: httpStatus, Msg: "HTTP error with a success envelope: " + snippet(body), RequestID: env.RequestID}
	}
	return env, nil
}

// parseCode accepts a number or a numeric string: gateways differ.
func parseCode(raw json.RawMessage) (int, bool) {
	if raw == nil {
		return 0, false
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil || n == "" {
		return 0, false
	}
	v, err := n.Int64()
	if err != nil || v < math.MinInt32 || v > math.MaxInt32 {
		return 0, false
	}
	return int(v), true
}

// jsonString reads a string field, or the literal text of any other value so
// that nothing the provider said is lost.
func jsonString(raw json.RawMessage) string {
	if raw == nil {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

func unexpectedBody(httpStatus int, body []byte) string {
	what := "not an EnOS envelope"
	if len(body) == 0 {
		what = "empty body"
	}
	s := fmt.Sprintf("%s (HTTP %d %s)", what, httpStatus, http.StatusText(httpStatus))
	if len(body) > 0 {
		s += ": " + snippet(body)
	}
	return s
}

// snippet is the start of a body, made printable on one line.
func snippet(body []byte) string {
	if len(body) > bodySnippetLen {
		body = body[:bodySnippetLen]
	}
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case !unicode.IsPrint(r):
			return -1
		}
		return r
	}, strings.ToValidUTF8(string(body), "?"))
}
