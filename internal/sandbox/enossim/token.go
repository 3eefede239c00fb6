package enossim

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// Token service statuses (docs/providers.md §2b).
const (
	statusAppKeyMissing     = 1002
	statusInvalidEncryption = 1003
	statusInvalidParameter  = 1004
	statusRefreshFailed     = 1204
)

type tokenAnswer struct {
	Status    int        `json:"status"`
	Msg       string     `json:"msg"`
	Business  string     `json:"business"`
	RequestID string     `json:"requestId"`
	Data      *tokenData `json:"data"`
}

type tokenData struct {
	AccessToken string `json:"accessToken"`
	Expire      int64  `json:"expire"` // seconds left
}

type tokenRequest struct {
	AppKey      string      `json:"appKey"`
	Encryption  string      `json:"encryption"`
	Timestamp   json.Number `json:"timestamp"`
	AccessToken string      `json:"accessToken"`
}

// tokenGet hands out the current token while it is valid, a new one after.
func (s *Simulator) tokenGet(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.tokenAuth(w, r); !ok {
		return
	}
	s.mu.Lock()
	now := s.now()
	tok, left := s.current, s.tokens[s.current].Sub(now)
	if left < time.Second {
		tok, left = s.newToken(now), s.tokenTTL
	}
	s.mu.Unlock()
	s.tokenReply(w, 0, "SUCCESS", &tokenData{AccessToken: tok, Expire: int64(left / time.Second)})
}

// tokenRefresh trades a valid token for a new one; the old one stays valid
// until it expires, so calls in flight are not refused.
func (s *Simulator) tokenRefresh(w http.ResponseWriter, r *http.Request) {
	req, ok := s.tokenAuth(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	now := s.now()
	exp, known := s.tokens[req.AccessToken]
	var tok string
	if known && now.Before(exp) {
		tok = s.newToken(now)
	}
	s.mu.Unlock()
	if tok == "" {
		s.tokenReply(w, statusRefreshFailed, "refresh failed: the access token is unknown or expired", nil)
		return
	}
	s.tokenReply(w, 0, "SUCCESS", &tokenData{AccessToken: tok, Expire: int64(s.tokenTTL / time.Second)})
}

// tokenAuth checks the app's proof of its secret, answering when it fails.
func (s *Simulator) tokenAuth(w http.ResponseWriter, r *http.Request) (tokenRequest, bool) {
	var req tokenRequest
	refuse := func(status int, msg string) (tokenRequest, bool) {
		s.log.Info("enos sandbox token service refused a request", "status", status, "msg", msg)
		s.tokenReply(w, status, msg, nil)
		return req, false
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil {
		return refuse(statusInvalidParameter, "invalid parameter: the body is not a JSON object")
	}
	if req.AppKey == "" {
		return refuse(statusAppKeyMissing, "appKey missing")
	}
	ms, err := req.Timestamp.Int64()
	if err != nil {
		return refuse(statusInvalidParameter, "invalid parameter: timestamp")
	}
	if !s.fresh(ms) {
		return refuse(statusInvalidParameter, "invalid parameter: timestamp is more than 5 minutes from the server's clock")
	}
	sum := sha256.Sum256([]byte(req.AppKey + req.Timestamp.String() + s.appSecret))
	keyOK := subtle.ConstantTimeCompare([]byte(req.AppKey), []byte(s.appKey)) == 1
	encOK := subtle.ConstantTimeCompare([]byte(req.Encryption), []byte(hex.EncodeToString(sum[:]))) == 1
	if !keyOK || !encOK {
		return refuse(statusInvalidEncryption, "invalid encryption")
	}
	return req, true
}

func (s *Simulator) tokenReply(w http.ResponseWriter, status int, msg string, data *tokenData) {
	writeJSON(w, http.StatusOK, tokenAnswer{Status: status, Msg: msg, Business: "apim-token-service", RequestID: requestID(), Data: data})
}

// newToken issues a token and forgets expired ones. Callers hold s.mu.
func (s *Simulator) newToken(now time.Time) string {
	for t, exp := range s.tokens {
		if !now.Before(exp) {
			delete(s.tokens, t)
		}
	}
	tok := requestID()
	s.tokens[tok] = now.Add(s.tokenTTL)
	s.current = tok
	return tok
}

// fresh reports whether a millisecond timestamp is within maxSkew of now.
func (s *Simulator) fresh(ms int64) bool {
	d := s.now().Sub(time.UnixMilli(ms))
	return -maxSkew <= d && d <= maxSkew
}

// valid reports whether tok was issued and has not expired.
func (s *Simulator) valid(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	return ok && s.now().Before(exp)
}

// signature is the gateway's request signature (docs/providers.md §2b),
// written apart from the client's so that each checks the other.
func signature(token string, query map[string][]string, body []byte, timestamp, secret string) string {
	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	params := ""
	for _, k := range keys {
		for _, v := range query[k] {
			params += k + v
		}
	}
	sum := sha256.Sum256([]byte(token + params + string(body) + timestamp + secret))
	return hex.EncodeToString(sum[:])
}
