// Package slacktest is Slack as a bot under test sees it: a fake Web API
// and response_url endpoint that records every call and can be told to
// fail, the websocket Socket Mode connects to, and requests signed as
// Slack signs them. Tests only.
package slacktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/testwait"
)

// AppToken is the app-level token Socket Mode must open with.
const AppToken = "xapp-1-test"

// authOK is auth.test's answer unless SetAuth says otherwise.
const authOK = `{"ok":true,"url":"https://acme.slack.com/","team":"Acme","user":"streamops","team_id":"T0ACME","user_id":"U0BOT","bot_id":"B0BOT"}`

// Call is one thing the bot sent to the fake Slack: a Web API method with
// its form (or JSON, for methods that take it, like views.publish), or a
// post to a response_url with its JSON.
type Call struct {
	Method string
	Form   url.Values
	JSON   map[string]any
	TS     string // of the message the fake made or answered with
}

// Text is what a person would read of the call.
func (c Call) Text() string {
	if c.JSON != nil {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // as Slack reads it
		enc.Encode(c.JSON)
		return strings.TrimSpace(b.String())
	}
	return c.Form.Get("text") + " " + c.Form.Get("blocks")
}

// Answer overrides the fake's reply to one call: a 5xx, a 429 with its
// Retry-After, or a 200 with Slack's error (not_in_channel).
type Answer struct {
	Status     int
	RetryAfter int
	Body       string
}

// Slack is Slack's Web API and response_url endpoint as the bot sees
// them, recording every call.
type Slack struct {
	t   testing.TB
	srv *httptest.Server
	mu  sync.Mutex
	log []Call
	seq int
	// before may hold a call back (block) or answer it otherwise; nil: ok.
	before func(method string, form url.Values) *Answer
	auth   string
	// groups are the workspace's user groups: handle -> member IDs.
	groups map[string][]string
	// Sockets gets each Socket Mode websocket the bot opens.
	Sockets chan *websocket.Conn
}

// New starts a fake Slack, closed when the test ends.
func New(t testing.TB) *Slack {
	s := &Slack{t: t, auth: authOK, Sockets: make(chan *websocket.Conn, 4)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// APIURL is the Web API's base URL, as slack.OptionAPIURL and slack.api_url take it.
func (s *Slack) APIURL() string { return s.srv.URL + "/api/" }

// ResponseURL is where the bot answers one command or click.
func (s *Slack) ResponseURL(name string) string { return s.srv.URL + "/respond/" + name }

// SetBefore makes h see each call first; an answer it returns replaces the fake's.
func (s *Slack) SetBefore(h func(method string, form url.Values) *Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.before = h
}

// SetAuth makes body auth.test's answer.
func (s *Slack) SetAuth(body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth = body
}

// SetGroups makes groups (handle -> member IDs) the workspace's user groups.
func (s *Slack) SetGroups(groups map[string][]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups = groups
}

func (s *Slack) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/ws" {
		s.upgrade(w, r)
		return
	}
	c := s.read(r)
	s.mu.Lock()
	before := s.before
	s.mu.Unlock()
	if before != nil {
		if a := before(c.Method, c.Form); a != nil {
			if a.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(a.RetryAfter))
			}
			w.WriteHeader(a.Status)
			io.WriteString(w, a.Body)
			return
		}
	}
	s.mu.Lock()
	s.seq++
	ts := fmt.Sprintf("1764500000.%06d", s.seq)
	c.TS = ts
	s.log = append(s.log, c)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch c.Method {
	case "auth.test":
		s.mu.Lock()
		io.WriteString(w, s.auth)
		s.mu.Unlock()
	case "chat.postMessage":
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q,"message":{"text":"","ts":%q}}`, c.Form.Get("channel"), ts, ts)
	case "chat.update":
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q,"text":""}`, c.Form.Get("channel"), c.Form.Get("ts"))
	case "views.publish":
		fmt.Fprintf(w, `{"ok":true,"view":{"id":"V0HOME","type":"home","team_id":"T0ACME"}}`)
	case "chat.postEphemeral":
		fmt.Fprintf(w, `{"ok":true,"message_ts":%q}`, ts)
	case "views.open":
		fmt.Fprintf(w, `{"ok":true,"view":{"id":"V%06d","type":"modal"}}`, s.seq)
	case "apps.connections.open":
		require.Equal(s.t, "Bearer "+AppToken, r.Header.Get("Authorization"), "Socket Mode opens with the app-level token")
		fmt.Fprintf(w, `{"ok":true,"url":"ws://%s/ws"}`, r.Host)
	case "usergroups.list":
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "usergroups": s.userGroups(c.Form.Get("include_users") == "true")})
	default:
		if strings.HasPrefix(c.Method, "response_url") {
			io.WriteString(w, "ok")
			return
		}
		io.WriteString(w, `{"ok":false,"error":"unknown_method"}`)
	}
}

// upgrade takes a Socket Mode connection; Slack's client says it comes
// from https://api.slack.com, as Slack expects.
func (s *Slack) upgrade(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "https://api.slack.com" }}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		s.t.Errorf("Socket Mode upgrade: %v (%v)", err, r.Header)
		return
	}
	s.Sockets <- conn
}

// read makes the call r is, as Slack reads it.
func (s *Slack) read(r *http.Request) Call {
	body, _ := io.ReadAll(r.Body)
	var c Call
	if name, ok := strings.CutPrefix(r.URL.Path, "/respond/"); ok {
		c.Method = "response_url " + name
		require.NoError(s.t, json.Unmarshal(body, &c.JSON))
		return c
	}
	c.Method = strings.TrimPrefix(r.URL.Path, "/api/")
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") && len(body) > 0 {
		require.NoError(s.t, json.Unmarshal(body, &c.JSON), "%s: %s", c.Method, body)
		return c
	}
	c.Form, _ = url.ParseQuery(string(body))
	if b := c.Form.Get("blocks"); b != "" { // as Slack reads it, not as JSON escapes it
		c.Form.Set("blocks", strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(b))
	}
	return c
}

func (s *Slack) userGroups(withUsers bool) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []map[string]any
	for handle, members := range s.groups {
		g := map[string]any{"id": "S0" + strings.ToUpper(handle), "handle": handle, "name": handle}
		if withUsers {
			g["users"] = members
		}
		list = append(list, g)
	}
	return list
}

// Calls is every call recorded so far, in order.
func (s *Slack) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.log...)
}

// WaitFor waits until a call matching match was made, and returns it.
func (s *Slack) WaitFor(what string, match func(Call) bool) Call {
	s.t.Helper()
	var found Call
	testwait.Until(s.t, func() bool {
		for _, c := range s.Calls() {
			if match(c) {
				found = c
				return true
			}
		}
		return false
	}, func() string { return "Slack never got " + what + "; it got:\n" + Dump(s.Calls()) })
	return found
}

// Count is how many calls so far match.
func (s *Slack) Count(match func(Call) bool) int {
	n := 0
	for _, c := range s.Calls() {
		if match(c) {
			n++
		}
	}
	return n
}

// Dump lists calls for a failure message.
func Dump(calls []Call) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "  %s: %s\n", c.Method, c.Text())
	}
	return b.String()
}

// Method matches calls of Web API method m.
func Method(m string) func(Call) bool { return func(c Call) bool { return c.Method == m } }

// Containing matches calls whose method starts with m and whose text matches pattern.
func Containing(m string, pattern string) func(Call) bool {
	re := regexp.MustCompile(pattern)
	return func(c Call) bool { return strings.HasPrefix(c.Method, m) && re.MatchString(c.Text()) }
}

// Posted matches messages posted with chat.postMessage whose field holds text.
func Posted(field, text string) func(Call) bool {
	return func(c Call) bool { return c.Method == "chat.postMessage" && strings.Contains(c.Form.Get(field), text) }
}

// Signed is a form POST to url as Slack signs it with secret at a time
// (v0 HMAC-SHA256 of v0:timestamp:body).
func Signed(t testing.TB, url, secret, body string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return req
}
