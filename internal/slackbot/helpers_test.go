package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
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
	"github.com/streamops/streamops/internal/slacktest"
	"github.com/streamops/streamops/internal/syncbuf"
	"github.com/streamops/streamops/internal/testwait"
)

const (
	secret    = "8f742231b10e8888abcd99yyyzzz85a5"
	channel   = "C0INCIDENT"
	alice     = "U0ALICE"
	bob       = "U0BOB"
	orgID     = "o-test"
	projectID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	// shanghaiProject is the project of the second EventGrid account.
	shanghaiProject = "5d6e7f8091a2b3c4d5e6f708192a3b4c"
	jobID           = "fac59513-6c18-4266-bc81-5d412dfc1925"
	egToken         = "static-token"
)

var egOperations = eg.Operations{Stop: "STOP", Switch: "SWITCH"}

// world is a bot with its Slack front end over HTTP, NATS, both provider
// simulators and a fake Slack.
type world struct {
	t         *testing.T
	slack     *slacktest.Slack
	svc       *ops.Service
	bus       *bus.Bus
	bot       *Bot
	srv       *httptest.Server
	logs      *syncbuf.Buffer
	enosPosts atomic.Int64 // state-changing calls that reached EnOS
	egPosts   atomic.Int64
	// shanghai is the second EventGrid account, when the setup has one.
	shanghai      *egsim.Simulator
	shanghaiPosts atomic.Int64
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
	// nats, when set, is the NATS of another world: this one is another
	// replica of its bot, with its own service and fake Slack.
	nats string
	// interactions and events are handlers added to the bot's own.
	interactions map[slack.InteractionType]interactionHandler
	events       map[string]eventHandler
	// pipelines are run by EnOS beside the world's two; the pause of
	// failAfterActing is carried out and then answered with HTTP 500.
	pipelines       []enossim.Pipeline
	failAfterActing string
	// shanghaiJobs, when set, are run by a second EventGrid account,
	// "shanghai": region cn-east-3, its own project and AK/SK keys.
	shanghaiJobs []egsim.Job
}

type worldOption func(*setup)

func newWorld(t *testing.T, opts ...worldOption) *world {
	t.Helper()
	w := &world{t: t, slack: slacktest.New(t), logs: &syncbuf.Buffer{}, clock: fakeclock.New(time.Now())}
	log := slog.New(slog.NewJSONHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

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
	enosSim := enossim.New(enossim.Config{Pipelines: append([]enossim.Pipeline{
		{ID: "p-7d3f9a21", Name: "orders-etl", Status: "RUNNING"},
		{ID: "p-1c2b3a45", Name: "billing-agg", Status: "STOPPED"},
	}, o.pipelines...)}, orgID, "k", "s")
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
			if o.failAfterActing != "" && r.URL.Query().Get("action") == "pause" && path.Base(r.URL.Path) == o.failAfterActing {
				sim.ServeHTTP(httptest.NewRecorder(), r) // it acts...
				http.Error(rw, "upstream reset", http.StatusInternalServerError)
				return
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
	egAccounts := []eventgrid.Setup{{API: egAPI, Operations: egOperations}}
	if o.shanghaiJobs != nil {
		w.shanghai = egsim.New(egsim.Config{Jobs: o.shanghaiJobs},
			egsim.Credentials{ProjectID: shanghaiProject, AccessKey: "SHAK", SecretKey: "sh-secret"}, egOperations)
		shURL := provider(w.shanghai, &w.shanghaiPosts, func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/action")
		})
		shAPI, err := eg.New(shURL, shURL, eg.Config{Endpoint: eg.Sandbox, Region: "cn-east-3", ProjectID: shanghaiProject,
			Auth: eg.Auth{Mode: eg.AuthAKSK, AccessKey: "SHAK", SecretKey: "sh-secret"}})
		require.NoError(t, err)
		egAccounts = append(egAccounts, eventgrid.Setup{Account: "shanghai", API: shAPI, Operations: egOperations})
		accounts := []string{ops.DefaultAccount, "shanghai"}
		o.rules.Accounts = map[string][]string{"job": accounts, "stream": accounts}
	}

	nats := bus.Config{Listen: "127.0.0.1:-1", StoreDir: testwait.Dir(t)}
	if o.nats != "" {
		nats = bus.Config{URL: o.nats}
	}
	b, err := bus.Connect(context.Background(), nats, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { b.Close(context.Background()) })
	w.bus = b
	api := slack.New("xoxb-test", slack.OptionAPIURL(w.slack.APIURL()))
	if o.bot.Deliveries == nil {
		o.bot.Deliveries = b.Deliveries()
	}
	var policy *ops.Policy
	if o.policy != nil {
		w.slack.SetGroups(o.groups)
		policy = &ops.Policy{Rules: o.policy, Groups: NewGroups(api, 0, w.clock.Now, log), Commands: operations.Names()}
	}
	w.svc, err = ops.New(o.rules, ops.Deps{
		Store: b.Requests(), Claims: b.Claims(), Events: b.Events(), Log: log, Now: w.clock.Now,
		FrontEnds: func(svc *ops.Service) []ops.Notifier {
			w.bot = New(svc, api, o.bot)
			maps.Copy(w.bot.dispatch.interactions, o.interactions)
			maps.Copy(w.bot.dispatch.events, o.events)
			return []ops.Notifier{w.bot}
		},
		Providers: []ops.Provider{
			pipelines.New(enos.New(enosURL, enos.Config{OrgID: orgID, AppKey: "k", AppSecret: "s", Timeout: o.enosTimeout})),
			eventgrid.Accounts(egAccounts...),
		},
		Policy: policy,
		Trail:  b.Audit(),
	})
	require.NoError(t, err)
	require.NoError(t, w.bot.Start(context.Background()))
	unwatch, err := b.Events().Watch(func(e ops.Event) { w.bot.RequestChanged(context.Background(), e) })
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); w.svc.Run(ctx) }()
	mux := http.NewServeMux()
	w.bot.Routes(mux)
	w.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		unwatch()
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

// signed is a request as Slack signs it with the world's secret.
func signed(t testing.TB, url, body string, at time.Time) *http.Request {
	return slacktest.Signed(t, url, secret, body, at)
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
		"response_url":          {w.slack.ResponseURL("cmd-" + trigger)},
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
		"response_url": w.slack.ResponseURL("click-" + trigger),
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
	c := w.slack.WaitFor("a card matching "+pattern, func(c slacktest.Call) bool {
		return c.Method == "chat.postMessage" && c.Form.Get("thread_ts") == "" && regexp.MustCompile(pattern).MatchString(c.Form.Get("blocks"))
	})
	id = requestIDIn.FindString(c.Form.Get("blocks"))
	require.NotEmpty(w.t, id)
	return id, c.TS
}

func threadReply(ts, pattern string) func(slacktest.Call) bool {
	re := regexp.MustCompile(pattern)
	return func(c slacktest.Call) bool {
		return c.Method == "chat.postMessage" && c.Form.Get("thread_ts") == ts && re.MatchString(c.Form.Get("text"))
	}
}

func cardUpdate(ts, pattern string) func(slacktest.Call) bool {
	re := regexp.MustCompile(pattern)
	return func(c slacktest.Call) bool {
		return c.Method == "chat.update" && c.Form.Get("ts") == ts && re.MatchString(c.Form.Get("blocks"))
	}
}

// socket is the Slack end of the bot's Socket Mode connection.
type socket struct {
	t    *testing.T
	conn *websocket.Conn
}

// socketMode runs the bot over Socket Mode until the test ends, and
// returns Slack's end of its connection, greeted.
func (w *world) socketMode() *socket {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	api := slack.New("xoxb-test", slack.OptionAPIURL(w.slack.APIURL()), slack.OptionAppLevelToken(slacktest.AppToken))
	ran := make(chan error, 1)
	go func() { ran <- w.bot.RunSocketMode(ctx, socketmode.New(api)) }()
	w.t.Cleanup(func() {
		cancel()
		select {
		case <-ran:
		case <-time.After(10 * time.Second):
			w.t.Error("Socket Mode did not stop")
		}
	})
	s := &socket{t: w.t}
	select {
	case s.conn = <-w.slack.Sockets:
	case <-time.After(10 * time.Second):
		w.t.Fatalf("the bot never opened a Socket Mode connection; Slack got:\n%s\n%s", slacktest.Dump(w.slack.Calls()), w.logs.String())
	}
	w.t.Cleanup(func() { s.conn.Close() })
	s.send(map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": "A0APP"},
		"debug_info":      map[string]any{"host": "applink-1", "build_number": 10, "approximate_connection_time": 18060}})
	return s
}

// slashEnvelope is a slash command as Socket Mode carries it.
func (w *world) slashEnvelope(envelope, user, text string) map[string]any {
	return map[string]any{
		"envelope_id": envelope, "type": "slash_commands", "accepts_response_payload": true,
		"payload": map[string]any{
			"token": "deprecated", "team_id": "T0ACME", "team_domain": "acme", "channel_id": channel,
			"channel_name": "incident-42", "user_id": user, "user_name": strings.ToLower(user), "command": "/streamops",
			"text": text, "api_app_id": "A0APP", "is_enterprise_install": "false",
			"response_url": w.slack.ResponseURL(envelope), "trigger_id": "1.2." + envelope,
		},
	}
}

func (s *socket) send(v any) {
	s.t.Helper()
	require.NoError(s.t, s.conn.WriteJSON(v))
}

// ack waits for the bot's ack of envelope and returns it.
func (s *socket) ack(envelope string) map[string]any {
	s.t.Helper()
	require.NoError(s.t, s.conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	for {
		var m map[string]any
		require.NoError(s.t, s.conn.ReadJSON(&m), "no ack for %s", envelope)
		if m["envelope_id"] == envelope {
			return m
		}
	}
}
