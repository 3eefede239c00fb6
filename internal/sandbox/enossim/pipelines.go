package enossim

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// API codes (docs/providers.md §2a).
const (
	codeInvalid      = 61100
	codeNotFound     = 61108
	codeCannotChange = 61152
	codeCannotStart  = 61165
)

// Auth failures. The gateway's own codes are undocumented; these borrow the
// token service's. A missing, unknown or expired token is HTTP 401 with code
// 1203, which the client takes as "fetch a new token and try once more";
// the other failures are HTTP 403, which a new token would not cure.
const codeTokenExpired = 1203

const (
	maxPageSize     = 100
	defaultPageSize = 10
)

type pipelineJSON struct {
	ID     string `json:"pipelineId"`
	Name   string `json:"pipelineName"`
	Status string `json:"status"`
}

func toJSON(p *Pipeline) pipelineJSON { return pipelineJSON{ID: p.ID, Name: p.Name, Status: p.Status} }

// apiHandler answers an authorized call; errors are a non-zero code on HTTP
// 200, as the docs show.
type apiHandler func(r *http.Request, body []byte) (code int, msg string, data any)

// signed admits only calls with a valid token, a fresh timestamp, a correct
// signature and this organization.
func (s *Simulator) signed(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			s.refuse(w, r, http.StatusBadRequest, statusInvalidParameter, "invalid parameter: body too large or unreadable")
			return
		}
		if status, code, msg := s.authorize(r, body); status != 0 {
			s.refuse(w, r, status, code, msg)
			return
		}
		code, msg, data := h(r, body)
		if code == 0 {
			msg = "OK"
		}
		writeJSON(w, http.StatusOK, envelope{Code: code, Msg: msg, RequestID: requestID(), Data: data})
	}
}

func (s *Simulator) authorize(r *http.Request, body []byte) (httpStatus, code int, msg string) {
	tok := r.Header.Get("apim-accesstoken")
	if tok == "" || !s.valid(tok) {
		return http.StatusUnauthorized, codeTokenExpired, "the access token is invalid or expired"
	}
	ts := r.Header.Get("apim-timestamp")
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return http.StatusForbidden, statusInvalidParameter, "invalid parameter: apim-timestamp"
	}
	if !s.fresh(ms) {
		return http.StatusForbidden, statusInvalidParameter, "invalid parameter: apim-timestamp is more than 5 minutes from the gateway's clock"
	}
	query := r.URL.Query()
	want := signature(tok, query, body, ts, s.appSecret)
	if subtle.ConstantTimeCompare([]byte(want), []byte(r.Header.Get("apim-signature"))) != 1 {
		return http.StatusForbidden, statusInvalidEncryption, "invalid signature"
	}
	if query.Get("orgId") != s.orgID {
		return http.StatusForbidden, statusInvalidParameter, fmt.Sprintf("invalid parameter: orgId [%s] is not this application's organization", query.Get("orgId"))
	}
	return 0, 0, ""
}

func (s *Simulator) refuse(w http.ResponseWriter, r *http.Request, status, code int, msg string) {
	s.log.Info("enos sandbox refused a call", "method", r.Method, "path", r.URL.Path, "http_status", status, "code", code, "msg", msg)
	writeJSON(w, status, envelope{Code: code, Msg: msg, RequestID: requestID()})
}

// operate is the pipeline state machine.
func (s *Simulator) operate(r *http.Request, body []byte) (int, string, any) {
	action := r.URL.Query().Get("action")
	if len(body) > 0 && !json.Valid(body) {
		return codeInvalid, "Invalid parameter: the request body is not JSON.", nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pipelines[r.PathValue("id")]
	switch {
	case action != "pause" && action != "start" && action != "stop":
		return codeInvalid, fmt.Sprintf("Invalid parameter: action [%s] is not supported.", action), nil
	case !ok:
		return codeNotFound, "Stream processing job does not exit.", nil
	}
	from := p.Status
	to, code, msg := transition(from, action)
	if code != 0 {
		return code, msg, nil
	}
	p.Status = to
	s.log.Info("enos sandbox pipeline changed", "pipeline", p.ID, "action", action, "from", from, "to", to)
	return 0, "", ""
}

func transition(from, action string) (to string, code int, msg string) {
	switch action {
	case "pause":
		if from == StatusRunning {
			return StatusPaused, 0, ""
		}
		return "", codeCannotChange, fmt.Sprintf("Status of the stream processing job cannot be changed from [%s] to Paused.", from)
	case "start":
		if from == StatusPublished || from == StatusStopped || from == StatusPaused {
			return StatusRunning, 0, ""
		}
		return "", codeCannotStart, fmt.Sprintf("Status of the stream processing job [%s] cannot be started.", from)
	default: // stop
		if from == StatusRunning || from == StatusPaused {
			return StatusStopped, 0, ""
		}
		return "", codeCannotChange, fmt.Sprintf("Status of the stream processing job cannot be changed from [%s] to Stopped.", from)
	}
}

func (s *Simulator) show(r *http.Request, _ []byte) (int, string, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pipelines[r.PathValue("id")]
	if !ok {
		return codeNotFound, "Stream processing job does not exit.", nil
	}
	return 0, "", toJSON(p)
}

func (s *Simulator) list(r *http.Request, _ []byte) (int, string, any) {
	q := r.URL.Query()
	size, ok := pageParam(q.Get("pageSize"), defaultPageSize)
	if !ok || size > maxPageSize {
		return codeInvalid, fmt.Sprintf("Invalid parameter: pageSize must be 1 to %d.", maxPageSize), nil
	}
	no, ok := pageParam(q.Get("pageNo"), 1)
	if !ok {
		return codeInvalid, "Invalid parameter: pageNo must be 1 or more.", nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	page := []pipelineJSON{}
	for i := (no - 1) * size; i < len(s.order) && i < no*size; i++ {
		page = append(page, toJSON(s.pipelines[s.order[i]]))
	}
	return 0, "", map[string]any{"count": len(s.order), "pipelines": page}
}

// pageParam reads a positive page parameter, def when absent.
func pageParam(v string, def int) (int, bool) {
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 1 && n <= 1<<20
}
