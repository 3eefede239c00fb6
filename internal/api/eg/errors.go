package eg

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Error is a failure the service (or its gateway, or IAM) answered with.
type Error struct {
	HTTPStatus int
	Code       string
	Msg        string
	Details    string
	RequestID  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("EventGrid error")
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	if e.Msg != "" {
		b.WriteString(": " + e.Msg)
	}
	if e.Details != "" {
		b.WriteString(" — " + e.Details)
	}
	if e.RequestID != "" {
		b.WriteString(" (request ID " + e.RequestID + ")")
	}
	return b.String()
}

// ProviderCode is the provider's error code, e.g. EG.00014040.
func (e *Error) ProviderCode() string { return e.Code }

// ProviderMessage is the provider's message, with its details when given.
func (e *Error) ProviderMessage() string {
	if e.Details == "" {
		return e.Msg
	}
	return e.Msg + " — " + e.Details
}

// ProviderRequestID is the request ID to quote to the provider's support.
func (e *Error) ProviderRequestID() string { return e.RequestID }

// Throttled reports whether the gateway refused the call for its rate, so
// that it certainly did not take effect.
func (e *Error) Throttled() bool {
	return e.HTTPStatus == http.StatusTooManyRequests || e.Code == "APIG.0308" || e.Code == "APIGW.0308"
}

const maxErrorText = 1024

// decodeError reads an error body. EG sends error_code, error_msg,
// error_details (error_detail in the official Go SDK) and request_id; IAM
// sends {"error": {"code", "message"}}; a proxy may send anything.
func decodeError(status int, body []byte, headerRequestID string) *Error {
	e := &Error{HTTPStatus: status}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) == nil {
		e.Code = text(fields["error_code"])
		e.Msg = text(fields["error_msg"])
		e.Details = text(fields["error_details"])
		if e.Details == "" {
			e.Details = text(fields["error_detail"])
		}
		e.RequestID = text(fields["request_id"])
		var nested map[string]json.RawMessage
		if raw, ok := fields["error"]; ok && json.Unmarshal(raw, &nested) == nil {
			if e.Code == "" {
				e.Code = text(nested["code"])
			}
			if e.Msg == "" {
				e.Msg = text(nested["message"])
			}
		}
	} else if s := clip(string(bytes.TrimSpace(body))); utf8.ValidString(s) {
		e.Msg = s
	}
	if e.RequestID == "" {
		e.RequestID = headerRequestID
	}
	if e.Msg == "" {
		e.Msg = http.StatusText(status)
	}
	return e
}

// text renders a JSON value as text: a string as itself, anything else
// (a numeric code, an object of details) as compact JSON.
func text(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return clip(strings.TrimSpace(s))
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return ""
	}
	return clip(buf.String())
}

func clip(s string) string {
	if len(s) <= maxErrorText {
		return s
	}
	s = s[:maxErrorText]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
