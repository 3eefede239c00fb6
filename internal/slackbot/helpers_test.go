package slackbot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/eg"
	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/fakeclock"
	"github.com/streamops/streamops/internal/operations"
	"github.com/streamops/streamops/internal/operations/eventgrid"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/sandbox/egsim"
	"github.com/streamops/streamops/internal/sandbox/enossim"
	"github.com/streamops/streamops/internal/syncbuf"
)

const (
	secret    = "8f742231b10e8888abcd99yyyzzz85a5"
	channel   = "C0INCIDENT"
	alice     = "U0ALICE"
	bob       = "U0BOB"
	orgID     = "o-test"
	projectID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	jobID     = "fac59513-6c18-4266-bc81-5d412dfc1925"
	egToken   = "static-token"
)

var egOperations = eg.Operations{Stop: "STOP", Switch: "SWITCH"}

// call is one thing the bot sent to the fake Slack: a Web API method with
// its form, or a post to a response_url with its JSON.
type call struct {
	Method string
	Form   url.Values
	JSON   map[string]any
	TS     string // of the message the fake made or answered with
}

// text is what a person would read of the call.
func (c call) text() string {
	if c.JSON != nil {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // as Slack reads it
		enc.Encode(c.JSON)
		return strings.TrimSpace(b.String())
	}
	return c.Form.Get("text") + " " + c.Form.Get("blocks")
}

// answer overrides the fake's reply to one call.
type answer struct {
	status     int
	retryAfter int
	body       string
}

// fakeSlack is Slack's Web API and response_url endpoint as the bot sees
// them, recording every call.
type fakeSlack struct {
	t   testing.TB
	srv *httptest.Server
	mu  sync.Mutex
	log []call
	seq int
	// before may hold a call back (block) or answer it otherwise; nil: ok.
	before func(method string, form url.Values) *answer
	// sockets gets each Socket Mode websocket the bot opens.
	sockets chan *websocket.Conn
	// groups are the workspace's user groups: handle -> member IDs.
	groups map[string][]string
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{t: t, sockets: make(chan *websocket.Conn, 4)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) apiURL() string { return f.srv.URL + "/api/" }

// responseURL is where the bot answers one command or click.
func (f *fakeSlack) responseURL(name string) string { return f.srv.URL + "/respond/" + name }

func (f *fakeSlack) setBefore(h func(method string, form url.Values) *answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.before = h
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/ws" {
		// Slack's client says it comes from https://api.slack.com, as Slack expects.
		up := websocket.Upgrader{CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "https://api.slack.com" }}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			f.t.Errorf("Socket Mode upgrade: %v (%v)", err, r.Header)
			return
		}
		f.sockets <- conn
		return
	}
	body, _ := io.ReadAll(r.Body)
	c := call{}
	if name, ok := strings.CutPrefix(r.URL.Path, "/respond/"); ok {
		c.Method = "response_url " + name
		require.NoError(f.t, json.Unmarshal(body, &c.JSON))
	} else {
		c.Method = strings.TrimPrefix(r.URL.Path, "/api/")
		c.Form, _ = url.ParseQuery(string(body))
		if b := c.Form.Get("blocks"); b != "" { // as Slack reads it, not as JSON escapes it
			c.Form.Set("blocks", strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(b))
		}
	}
	f.mu.Lock()
	before := f.before
	f.mu.Unlock()
	if before != nil {
		if a := before(c.Method, c.Form); a != nil {
			if a.retryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(a.retryAfter))
			}
			w.WriteHeader(a.status)
			io.WriteString(w, a.body)
			return
		}
	}
	f.mu.Lock()
	f.seq++
	ts := fmt.Sprintf("1764500000.%06d", f.seq)
	c.TS = ts
	f.log = append(f.log, c)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch c.Method {
	case "auth.test":
		io.WriteString(w, `{"ok":true,"url":"https://acme.slack.com/","team":"Acme","user":"streamops","team_id":"T0ACME","user_id":"U0BOT","bot_id":"B0BOT"}`)
	case "chat.postMessage":
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q,"message":{"text":"","ts":%q}}`, c.Form.Get("channel"), ts, ts)
	case "chat.update":
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q,"text":""}`, c.Form.Get("channel"), c.Form.Get("ts"))
	case "apps.connections.open":
		require.Equal(f.t, "Bearer xapp-1-test", r.Header.Get("Authorization"), "Socket Mode opens with the app-level token")
		fmt.Fprintf(w, `{"ok":true,"url":"ws://%s/ws"}`, r.Host)
	case "usergroups.list":
		f.mu.Lock()
		var list []map[string]any
		for handle, members := range f.groups {
			g := map[string]any{"id": "S0" + strings.ToUpper(handle), "handle": handle, "name": handle}
			if c.Form.Get("include_users") == "true" {
				g["users"] = members
			}
			list = append(list, g)
		}
		f.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "usergroups": list})
	case "chat.postEphemeral":
		fmt.Fprintf(w, `{"ok":true,"message_ts":%q}`, ts)
	default:
		if strings.HasPrefix(c.Method, "response_url") {
			io.WriteString(w, "ok")
			return
		}
		io.WriteString(w, `{"ok":false,"error":"unknown_method"}`)
	}
}

func (f *fakeSlack) calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.log...)
}

// waitFor polls until a call matching match was made, and returns it.
func (f *fakeSlack) waitFor(what string, match func(call) bool) call {
	f.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, c := range f.calls() {
			if match(c) {
				return c
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.t.Fatalf("Slack never got %s; it got:\n%s", what, dump(f.calls()))
	return call{}
}

func (f *fakeSlack) count(match func(call) bool) int {
	n := 0
	for _, c := range f.calls() {
		if match(c) {
			n++
		}
	}
	return n
}

func dump(calls []call) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "  %s: %s\n", c.Method, c.text())
	}
	return b.String()
}

func method(m string) func(call) bool { return func(c call) bool { return c.Method == m } }

func containing(m string, pattern string) func(call) bool {
	re := regexp.MustCompile(pattern)
	return func(c call) bool { return strings.HasPrefix(c.Method, m) && re.MatchString(c.text()) }
}

// world is a bot with its Slack front end over HTTP, NATS, both provider
// simulators and a fake Slack.
type world struct {
	t         *testing.T
	slack     *fakeSlack
	svc       *ops.Service
	bus       *bus.Bus
	bot       *Bot
	srv       *httptest.Server
	logs      *syncbuf.Buffer
	enosPosts atomic.Int64 // state-changing calls that reached EnOS
	egPosts   atomic.Int64
	// clock is the rules' time: tests move it to expire requests.
	clock *fakeclock.Clock
	// gate, when set, holds every provider call until it is closed.
	gate atomic.Pointer[chan struct{}]
	sent atomic.Int64 // for unique trigger IDs
}

// setup is what a test may change before its world starts.
type setup struct {
	rules       ops.Settings
	bot         Config
	enosTimeout time.Duration
	// policy, when set, rules the bot; groups are its Slack user groups.
	policy []ops.Rule
	groups map[string][]string
}

type worldOption func(*setup)

func newWorld(t *testing.T, opts ...worldOption) *world {
	t.Helper()
	w := &world{t: t, slack: newFakeSlack(t), logs: &syncbuf.Buffer{}, clock: fakeclock.New(time.Now())}
	log := slog.New(slog.NewJSONHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	enosSim := enossim.New(enossim.Config{Pipelines: []enossim.Pipeline{
		{ID: "p-7d3f9a21", Name: "orders-etl", Status: "RUNNING"},
		{ID: "p-1c2b3a45", Name: "billing-agg", Status: "STOPPED"},
	}}, orgID, "k", "s")
	egSim := egsim.New(egsim.Config{Jobs: []egsim.Job{
		{ID: jobID, Name: "orders-dr", Status: "RUNNING", SourceAddress: "10.0.0.5:9092", SinkAddress: "10.0.1.7:9092"},
	}}, egsim.Credentials{ProjectID: projectID, Token: egToken}, egOperations)
	provider := func(sim http.Handler, posts *atomic.Int64, changes func(*http.Request) bool) string {
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if g := w.gate.Load(); g != nil {
				select {
				case <-*g:
				case <-r.Context().Done():
					return
				}
			}
			if changes(r) {
				posts.Add(1)
			}
			sim.ServeHTTP(rw, r)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	enosURL := provider(enosSim, &w.enosPosts, func(r *http.Request) bool {
		return r.Method == http.MethodPost && r.URL.Query().Get("action") != ""
	})
	egURL := provider(egSim, &w.egPosts, func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/action")
	})
	egAPI, err := eg.New(egURL, egURL, eg.Config{Endpoint: eg.Sandbox, Region: "cn-north-4", ProjectID: projectID, Auth: eg.Auth{Mode: eg.AuthToken, Token: egToken}})
	require.NoError(t, err)

	b, err := bus.Connect(context.Background(), bus.Config{Listen: "127.0.0.1:-1", StoreDir: t.TempDir()}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { b.Close(context.Background()) })
	w.bus = b

	o := setup{
		rules: ops.Settings{
			Expiry: 10 * time.Minute, AbandonAfter: 5 * time.Minute, TargetWait: 10 * time.Second,
			CheckInterval: 10 * time.Millisecond, CheckTimeout: 5 * time.Second, SweepInterval: 20 * time.Millisecond,
			Targets: ops.Targets{
				"pipeline": {"orders-etl": "p-7d3f9a21", "billing-agg": "p-1c2b3a45"},
				"job":      {"orders-dr": jobID},
			},
		},
		bot: Config{SigningSecret: secret, Log: log, CallTimeout: 5 * time.Second,
			Wait: func(context.Context, time.Duration) error { return nil }},
	}
	for _, opt := range opts {
		opt(&o)
	}
	api := slack.New("xoxb-test", slack.OptionAPIURL(w.slack.apiURL()))
	if o.bot.Deliveries == nil {
		o.bot.Deliveries = b.Deliveries()
	}
	var policy *ops.Policy
	if o.policy != nil {
		w.slack.mu.Lock()
		w.slack.groups = o.groups
		w.slack.mu.Unlock()
		policy = &ops.Policy{Rules: o.policy, Groups: NewGroups(api, 0, w.clock.Now, log), Commands: operations.Names()}
	}
	w.svc, err = ops.New(o.rules, ops.Deps{
		Store: b.Requests(), Claims: b.Claims(), Events: b.Events(), Log: log, Now: w.clock.Now,
		FrontEnds: func(svc *ops.Service) []ops.Notifier {
			w.bot = New(svc, api, o.bot)
			return []ops.Notifier{w.bot}
		},
		Providers: []ops.Provider{
			pipelines.New(enos.New(enosURL, enos.Config{OrgID: orgID, AppKey: "k", AppSecret: "s", Timeout: o.enosTimeout})),
			eventgrid.New(eventgrid.Setup{API: egAPI, Operations: egOperations}),
		},
		Policy: policy,
		Trail:  b.Audit(),
	})
	require.NoError(t, err)
	require.NoError(t, w.bot.Start(context.Background()))

	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); w.svc.Run(ctx) }()
	mux := http.NewServeMux()
	w.bot.Routes(mux)
	w.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		w.open()
		w.srv.Close()
		wait, done := context.WithTimeout(context.Background(), 20*time.Second)
		defer done()
		if err := w.bot.Wait(wait); err != nil {
			t.Errorf("the bot's work did not end: %v", err)
		}
		cancel()
		<-ran
		w.svc.Wait(wait)
	})
	return w
}

// hold makes every provider call wait until open is called.
func (w *world) hold() {
	g := make(chan struct{})
	w.gate.Store(&g)
}

func (w *world) open() {
	if g := w.gate.Swap(nil); g != nil {
		close(*g)
	}
}

// signed is a request as Slack signs it (v0 HMAC-SHA256 of v0:ts:body).
func signed(t testing.TB, url, body string, at time.Time) *http.Request {
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

func do(t testing.TB, req *http.Request) (int, string) {
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// commandBody is a slash command as Slack posts it.
func (w *world) commandBody(user, text, trigger string) string {
	return url.Values{
		"token": {"deprecated"}, "team_id": {"T0ACME"}, "team_domain": {"acme"},
		"channel_id": {channel}, "channel_name": {"incident-42"},
		"user_id": {user}, "user_name": {strings.ToLower(user)},
		"command": {"/streamops"}, "text": {text}, "api_app_id": {"A0APP"},
		"is_enterprise_install": {"false"},
		"response_url":          {w.slack.responseURL("cmd-" + trigger)},
		"trigger_id":            {trigger},
	}.Encode()
}

// command sends a signed slash command and returns the ack's status and text.
func (w *world) command(user, text string) (int, string, string) {
	w.t.Helper()
	trigger := fmt.Sprintf("%d.%d.t%d", 1000+w.sent.Add(1), time.Now().UnixNano(), w.sent.Load())
	code, body := do(w.t, signed(w.t, w.srv.URL+"/slack/commands", w.commandBody(user, text, trigger), time.Now()))
	var a ack
	if body != "" {
		require.NoError(w.t, json.Unmarshal([]byte(body), &a), body)
	}
	return code, a.Text, trigger
}

// clickBody is a block_actions payload as Slack posts it for a button.
func (w *world) clickBody(user, action, id, ts, trigger string) string {
	return url.Values{"payload": {string(w.clickPayload(user, action, id, ts, trigger))}}.Encode()
}

// clickPayload is the JSON of a click, as Socket Mode carries it.
func (w *world) clickPayload(user, action, id, ts, trigger string) json.RawMessage {
	payload := map[string]any{
		"type":       "block_actions",
		"user":       map[string]any{"id": user, "username": strings.ToLower(user), "name": strings.ToLower(user), "team_id": "T0ACME"},
		"api_app_id": "A0APP", "token": "deprecated", "trigger_id": trigger,
		"container":  map[string]any{"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false},
		"team":       map[string]any{"id": "T0ACME", "domain": "acme"},
		"enterprise": nil, "is_enterprise_install": false,
		"channel":      map[string]any{"id": channel, "name": "incident-42"},
		"message":      map[string]any{"type": "message", "user": "U0BOT", "ts": ts, "text": "card"},
		"state":        map[string]any{"values": map[string]any{}},
		"response_url": w.slack.responseURL("click-" + trigger),
		"actions": []any{map[string]any{
			"action_id": action, "block_id": "decision", "value": id, "type": "button",
			"text": map[string]any{"type": "plain_text", "text": "Confirm", "emoji": true}, "action_ts": "1764500001.000200",
		}},
	}
	raw, err := json.Marshal(payload)
	require.NoError(w.t, err)
	return raw
}

// click sends a signed button click and returns the status of the ack.
func (w *world) click(user, action, id, ts string) (int, string) {
	w.t.Helper()
	trigger := fmt.Sprintf("%d.%d.c%d", 2000+w.sent.Add(1), time.Now().UnixNano(), w.sent.Load())
	code, _ := do(w.t, signed(w.t, w.srv.URL+"/slack/interactions", w.clickBody(user, action, id, ts, trigger), time.Now()))
	return code, trigger
}

var requestIDIn = regexp.MustCompile(`r-[0-9a-f]{6}`)

// card waits for a card posted in the channel and returns its request ID and ts.
func (w *world) card(pattern string) (id, ts string) {
	w.t.Helper()
	c := w.slack.waitFor("a card matching "+pattern, func(c call) bool {
		return c.Method == "chat.postMessage" && c.Form.Get("thread_ts") == "" && regexp.MustCompile(pattern).MatchString(c.Form.Get("blocks"))
	})
	id = requestIDIn.FindString(c.Form.Get("blocks"))
	require.NotEmpty(w.t, id)
	return id, c.TS
}

func threadReply(ts, pattern string) func(call) bool {
	re := regexp.MustCompile(pattern)
	return func(c call) bool {
		return c.Method == "chat.postMessage" && c.Form.Get("thread_ts") == ts && re.MatchString(c.Form.Get("text"))
	}
}

func cardUpdate(ts, pattern string) func(call) bool {
	re := regexp.MustCompile(pattern)
	return func(c call) bool {
		return c.Method == "chat.update" && c.Form.Get("ts") == ts && re.MatchString(c.Form.Get("blocks"))
	}
}
