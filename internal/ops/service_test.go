package ops_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/fakeclock"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/sandbox/enossim"
	"github.com/streamops/streamops/internal/testwait"
)

// world is one NATS server and one EnOS simulator, which bots share.
type world struct {
	bus   *bus.Bus
	sim   *enossim.Simulator
	url   string
	posts atomic.Int64 // state-changing calls that reached the simulator
	clock *fakeclock.Clock
}

const (
	orgID     = "o-test"
	appKey    = "key-test"
	appSecret = "secret-test"
)

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{clock: fakeclock.New(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))}
	w.sim = enossim.New(enossim.Config{Pipelines: []enossim.Pipeline{
		{ID: "p-100", Name: "orders-etl", Status: enos.StatusRunning},
		{ID: "p-200", Name: "billing", Status: enos.StatusStopped},
	}}, orgID, appKey, appSecret)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Query().Get("action") != "" {
			w.posts.Add(1)
		}
		w.sim.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	w.url = srv.URL
	w.bus = connect(t, bus.Config{Listen: "127.0.0.1:-1", StoreDir: testwait.Dir(t)})
	return w
}

func connect(t testing.TB, cfg bus.Config) *bus.Bus {
	t.Helper()
	b, err := bus.Connect(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { b.Close(context.Background()) })
	return b
}

// bot is one service, as one replica of the bot would run it.
type bot struct {
	svc     *ops.Service
	notices chan ops.Notice
	// decisions are the notices without text that say a request was
	// decided, kept apart so that tests read the notices people see.
	decisions chan ops.Request
}

func (w *world) newBot(t *testing.T, b *bus.Bus, set ops.Settings) *bot {
	t.Helper()
	if set.Targets == nil {
		set.Targets = ops.Targets{"pipeline": {"orders-etl": "p-100", "billing": "p-200"}}
	}
	if set.CheckInterval == 0 {
		set.CheckInterval = 10 * time.Millisecond
	}
	return w.startBot(t, b, set, ops.Deps{
		Providers: []ops.Provider{pipelines.New(enos.New(w.url, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}))},
	})
}

// startBot runs a service on b and the world's clock with the providers in
// deps; its notices go to the bot's channel.
func (w *world) startBot(t *testing.T, b *bus.Bus, set ops.Settings, deps ops.Deps) *bot {
	t.Helper()
	bt := &bot{notices: make(chan ops.Notice, 16), decisions: make(chan ops.Request, 64)}
	if deps.Store == nil {
		deps.Store = b.Requests()
	}
	if deps.Claims == nil {
		deps.Claims = b.Claims()
	}
	deps.Events, deps.Now = b.Events(), w.clock.Now
	deps.FrontEnds = notifying(notifierFunc(func(n ops.Notice) {
		if n.Text == "" {
			select {
			case bt.decisions <- n.Request:
			default:
			}
			return
		}
		bt.notices <- n
	}))
	svc, err := ops.New(settings(set), deps)
	require.NoError(t, err)
	bt.svc = svc
	t.Cleanup(func() { svc.Wait(context.Background()) })
	return bt
}

type notifierFunc func(ops.Notice)

func (f notifierFunc) Notify(_ context.Context, n ops.Notice) { f(n) }

// notifying is the front ends of a test: notifiers that need no service.
func notifying(ns ...ops.Notifier) func(*ops.Service) []ops.Notifier {
	return func(*ops.Service) []ops.Notifier { return ns }
}

// settings fills the durations a test leaves out with the config's
// defaults, and a sweep every second.
func settings(set ops.Settings) ops.Settings {
	for _, d := range []struct {
		field *time.Duration
		def   time.Duration
	}{
		{&set.Expiry, 10 * time.Minute}, {&set.SweepInterval, time.Second}, {&set.CheckInterval, 2 * time.Second},
		{&set.CheckTimeout, 2 * time.Minute}, {&set.AbandonAfter, 5 * time.Minute}, {&set.TargetWait, 10 * time.Second},
	} {
		if *d.field == 0 {
			*d.field = d.def
		}
	}
	return set
}

func propose(t *testing.T, b *bot, text string) ops.Request {
	t.Helper()
	reply, err := b.svc.Handle(context.Background(), ops.Input{Text: text, User: "U-alice", Origin: ops.Origin{Frontend: "test"}})
	require.NoError(t, err)
	require.NotNil(t, reply.Request, "want a request for %q, got text %q", text, reply.Text)
	return *reply.Request
}

func TestPauseIsProposedThenCarriedOutOnConfirm(t *testing.T) {
	w := newWorld(t)
	b := w.newBot(t, w.bus, ops.Settings{})
	events := subscribe(t, w.bus)

	r := propose(t, b, "pipeline pause orders-etl")
	assert.True(t, ops.ValidRequestID(r.ID), r.ID)
	assert.Equal(t, ops.Pending, r.State)
	assert.Equal(t, ops.Target{Kind: "pipeline", Alias: "orders-etl", ID: "p-100", Provider: "EnOS", Scope: "org o-test"}, r.Target)
	assert.Equal(t, w.clock.Now().Add(10*time.Minute), r.ExpiresAt)
	assert.Contains(t, r.Call, "POST /streaming/v2.0/streaming/pipeline/p-100?action=pause&orgId=o-test")
	assert.Zero(t, w.posts.Load(), "nothing is called before confirmation")

	done, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	assert.Equal(t, ops.Succeeded, done.State)
	assert.Equal(t, "U-bob", done.DecidedBy)
	require.NotNil(t, done.Outcome)
	assert.Equal(t, "p-100", done.Outcome.JobID)
	assert.NotEmpty(t, done.Outcome.RequestID)
	assert.Equal(t, fmt.Sprintf("Paused pipeline orders-etl (p-100): job ID p-100, request ID %s", done.Outcome.RequestID), done.Outcome.Summary)
	p, _ := w.sim.Pipeline("p-100")
	assert.Equal(t, enos.StatusPaused, p.Status)
	assert.EqualValues(t, 1, w.posts.Load())

	n := nextNotice(t, b)
	assert.Equal(t, r.ID, n.Request.ID)
	assert.Regexp(t, `^pipeline orders-etl \(p-100\) is PAUSED after `, n.Text)

	var states []ops.State
	for range 4 {
		e := nextEvent(t, events)
		assert.Equal(t, r.ID, e.RequestID)
		states = append(states, e.State)
	}
	assert.Equal(t, []ops.State{ops.Pending, ops.Executing, ops.Succeeded, ops.Checked}, states, "the status check is its own event, not a second succeeded")
}

func TestProviderErrorKeepsCodeMessageAndRequestID(t *testing.T) {
	w := newWorld(t)
	b := w.newBot(t, w.bus, ops.Settings{})
	r := propose(t, b, "pipeline pause billing")
	done, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	assert.Equal(t, ops.Failed, done.State)
	f := done.Outcome.Error
	require.NotNil(t, f)
	assert.Equal(t, "61152", f.Code)
	assert.Equal(t, "Status of the stream processing job cannot be changed from [STOPPED] to Paused.", f.Message)
	assert.NotEmpty(t, f.RequestID)
	assert.Equal(t, "Could not pause pipeline billing (p-200): 61152 Status of the stream processing job cannot be changed from [STOPPED] to Paused. (request ID "+f.RequestID+")", done.Outcome.Summary)
}

func TestConcurrentConfirmsCallTheProviderOnce(t *testing.T) {
	for _, replicas := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d replicas", replicas), func(t *testing.T) {
			w := newWorld(t)
			bots := []*bot{w.newBot(t, w.bus, ops.Settings{})}
			if replicas == 2 {
				second := connect(t, bus.Config{URL: w.bus.ClientURL()})
				bots = append(bots, w.newBot(t, second, ops.Settings{}))
			}
			r := propose(t, bots[0], "pipeline pause orders-etl")

			var wg sync.WaitGroup
			var succeeded, refused atomic.Int64
			start := make(chan struct{})
			for i := range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					got, err := bots[i%len(bots)].svc.Confirm(context.Background(), r.ID, fmt.Sprintf("U-%d", i))
					var ie *ops.InputError
					switch {
					case err == nil && got.State == ops.Succeeded:
						succeeded.Add(1)
					case errors.As(err, &ie):
						refused.Add(1)
					default:
						t.Errorf("confirm %d: %v, state %s", i, err, got.State)
					}
				}()
			}
			close(start)
			wg.Wait()
			assert.EqualValues(t, 1, w.posts.Load(), "provider calls")
			assert.EqualValues(t, 1, succeeded.Load())
			assert.EqualValues(t, 49, refused.Load())
		})
	}
}

func TestCancelledRequestIsNeverCarriedOut(t *testing.T) {
	w := newWorld(t)
	b := w.newBot(t, w.bus, ops.Settings{})
	r := propose(t, b, "pipeline pause orders-etl")
	got, err := b.svc.Cancel(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	assert.Equal(t, ops.Cancelled, got.State)
	assert.Equal(t, "Cancelled by U-bob: nothing was done.", ops.CardOf(got).Status)

	_, err = b.svc.Confirm(context.Background(), r.ID, "U-carol")
	var ie *ops.InputError
	require.ErrorAs(t, err, &ie)
	assert.Contains(t, ie.Msg, "was cancelled by U-bob: nothing was done")
	assert.Zero(t, w.posts.Load())
}

func TestExpiredRequestIsNeverCarriedOut(t *testing.T) {
	w := newWorld(t)
	b := w.newBot(t, w.bus, ops.Settings{Expiry: time.Minute, SweepInterval: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.svc.Run(ctx)

	r := propose(t, b, "pipeline pause orders-etl")
	w.clock.Advance(time.Minute)
	n := nextNotice(t, b)
	assert.Equal(t, r.ID, n.Request.ID)
	assert.Equal(t, ops.Expired, n.Request.State)
	assert.Equal(t, "Expired unconfirmed: nothing was done.", n.Text, "front ends show the ID beside the notice")

	_, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	var ie *ops.InputError
	require.ErrorAs(t, err, &ie)
	assert.Contains(t, ie.Msg, "expired")
	assert.Zero(t, w.posts.Load())
}

func TestConfirmAfterExpiryWithoutSweeper(t *testing.T) {
	w := newWorld(t)
	b := w.newBot(t, w.bus, ops.Settings{Expiry: time.Minute})
	r := propose(t, b, "pipeline pause orders-etl")
	w.clock.Advance(time.Minute + time.Second)
	got, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.Error(t, err)
	assert.Equal(t, ops.Expired, got.State)
	assert.Zero(t, w.posts.Load())
}

func TestPendingRequestSurvivesAReconnect(t *testing.T) {
	dir := t.TempDir()
	w := newWorld(t)
	first, err := bus.Connect(context.Background(), bus.Config{Listen: "127.0.0.1:-1", StoreDir: dir}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	r := propose(t, w.newBot(t, first, ops.Settings{}), "pipeline pause orders-etl")
	require.NoError(t, first.Close(context.Background()))

	second := connect(t, bus.Config{Listen: "127.0.0.1:-1", StoreDir: dir})
	b := w.newBot(t, second, ops.Settings{})
	open, err := b.svc.Pending(context.Background())
	require.NoError(t, err)
	require.Len(t, open, 1)
	assert.Equal(t, r.ID, open[0].ID)
	done, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	assert.Equal(t, ops.Succeeded, done.State)
}

func TestBadInputGetsAClearAnswerAndNothingElse(t *testing.T) {
	w := newWorld(t)
	b := w.newBot(t, w.bus, ops.Settings{})
	tests := map[string]string{
		"frobnicate":                                   `unknown command "frobnicate"`,
		"pipeline explode orders-etl":                  `unknown command "pipeline explode". With pipeline you can: pipeline list, pipeline pause`,
		"pipeline pause":                               "which pipeline? usage: pipeline pause <pipeline>",
		"pipeline pause orderz":                        `unknown pipeline alias "orderz". Known: billing, orders-etl; or give the pipeline ID`,
		"pipeline pause p;rm":                          `"p;rm" is not a valid pipeline ID or alias`,
		"pipeline pause orders-etl now":                `unexpected "now". usage: pipeline pause <pipeline>`,
		"pipeline pause orders-etl x=1":                "pipeline pause does not take x=",
		"confirm":                                      "usage: confirm <request ID>",
		"confirm r-zzzzzz":                             `"r-zzzzzz" is not a request ID`,
		"confirm r-abcdef":                             "there is no request r-abcdef",
		"cancel r-abcdef extra":                        "usage: cancel <request ID>",
		`pipeline pause "orders-etl`:                   "quote is not closed",
		"pipeline pause " + string([]byte{0xff, 0xfe}): "not a valid pipeline ID",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			reply, err := b.svc.Handle(context.Background(), ops.Input{Text: in, User: "U-alice"})
			var ie *ops.InputError
			require.ErrorAs(t, err, &ie)
			assert.Contains(t, ie.Msg, want)
			assert.Nil(t, reply.Request)
		})
	}
	open, err := b.svc.Pending(context.Background())
	require.NoError(t, err)
	assert.Empty(t, open)
	assert.Zero(t, w.posts.Load())
}

func TestReadsAnswerAtOnce(t *testing.T) {
	w := newWorld(t)
	b := w.newBot(t, w.bus, ops.Settings{})
	reply, err := b.svc.Handle(context.Background(), ops.Input{Text: "pipeline show orders-etl", User: "U-alice"})
	require.NoError(t, err)
	assert.Equal(t, `Pipeline orders-etl (p-100): RUNNING (name "orders-etl", org o-test)`, reply.Text)

	reply, err = b.svc.Handle(context.Background(), ops.Input{Text: "pipeline list", User: "U-alice"})
	require.NoError(t, err)
	assert.Contains(t, reply.Text, "2 pipelines in org o-test")
	assert.Regexp(t, `p-200\s+STOPPED\s+billing`, reply.Text)

	// Commands in any case; the alias after them keeps its own.
	for _, text := range []string{"Pipeline List", "PIPELINE LIST", "pipeline LIST"} {
		reply, err = b.svc.Handle(context.Background(), ops.Input{Text: text, User: "U-alice"})
		require.NoError(t, err, text)
		assert.Contains(t, reply.Text, "2 pipelines in org o-test", text)
	}
	reply, err = b.svc.Handle(context.Background(), ops.Input{Text: "HELP", User: "U-alice"})
	require.NoError(t, err)
	assert.Contains(t, reply.Text, "pipeline list")
	_, err = b.svc.Handle(context.Background(), ops.Input{Text: "Pipeline Show ORDERS-ETL", User: "U-alice"})
	assert.ErrorContains(t, err, "ORDERS-ETL", "aliases are not folded")

	_, err = b.svc.Handle(context.Background(), ops.Input{Text: "pipeline show p-999", User: "U-alice"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pipeline show p-999 failed: 61108 Stream processing job does not exit.")

	reply, err = b.svc.Handle(context.Background(), ops.Input{Text: "help", User: "U-alice"})
	require.NoError(t, err)
	assert.Contains(t, reply.Text, "pipeline pause <pipeline>")
	assert.Contains(t, reply.Text, "confirm <request ID>")
}

func TestTimeoutIsReportedAsUncertain(t *testing.T) {
	w := newWorld(t)
	release := make(chan struct{})
	var calls atomic.Int64
	hang := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Query().Get("action") != "" {
			calls.Add(1)
			<-release
			return
		}
		w.sim.ServeHTTP(rw, r)
	}))
	defer hang.Close()
	defer close(release)
	b := w.startBot(t, w.bus, ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}}, CheckInterval: 10 * time.Millisecond, CheckTimeout: time.Second}, ops.Deps{
		Providers: []ops.Provider{pipelines.New(enos.New(hang.URL, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret, Timeout: 100 * time.Millisecond}))},
	})
	r := propose(t, b, "pipeline pause orders-etl")
	done, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	assert.Equal(t, ops.Uncertain, done.State)
	assert.True(t, done.Outcome.Error.Uncertain)
	assert.Equal(t, "EnOS did not answer in time", done.Outcome.Error.Reason)
	assert.Contains(t, done.Outcome.Summary, "Outcome uncertain: EnOS did not answer in time, so the call to pause pipeline orders-etl (p-100) may have taken effect.")
	assert.EqualValues(t, 1, calls.Load(), "a timed-out call is never sent again")
	// The hung call never reached the simulator: the status says so.
	assert.Regexp(t, `still is RUNNING after \d+s, not PAUSED: it looks as if the call did not take effect`, w.noticeAsTimePasses(t, b).Text)
}

func subscribe(t *testing.T, b *bus.Bus) chan *nats.Msg {
	t.Helper()
	ch := make(chan *nats.Msg, 64)
	sub, err := b.Conn().ChanSubscribe(bus.EventSubjects, ch)
	require.NoError(t, err)
	t.Cleanup(func() { sub.Unsubscribe() })
	require.NoError(t, b.Conn().Flush())
	return ch
}

func nextEvent(t *testing.T, ch chan *nats.Msg) ops.Event {
	t.Helper()
	select {
	case m := <-ch:
		var e ops.Event
		require.NoError(t, json.Unmarshal(m.Data, &e))
		assert.Equal(t, bus.EventSubject(e.State), m.Subject)
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no audit event within 5s")
		return ops.Event{}
	}
}

// noticeAsTimePasses moves the world's clock a second at a time until b
// has a notice: a status check that times out needs its clock to move.
func (w *world) noticeAsTimePasses(t *testing.T, b *bot) ops.Notice {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case n := <-b.notices:
			return n
		case <-deadline:
			t.Fatal("no notice within 10s")
			return ops.Notice{}
		case <-time.After(20 * time.Millisecond):
			w.clock.Advance(time.Second)
		}
	}
}

func nextNotice(t *testing.T, b *bot) ops.Notice {
	t.Helper()
	select {
	case n := <-b.notices:
		return n
	case <-time.After(5 * time.Second):
		t.Fatal("no notice within 5s")
		return ops.Notice{}
	}
}

// A bot that crashed mid-call leaves a request executing; the sweep says the
// outcome is unknown instead of leaving it so for ever.
func TestAbandonedExecutionIsReportedAsUncertain(t *testing.T) {
	w := newWorld(t)
	b := w.newBot(t, w.bus, ops.Settings{AbandonAfter: 5 * time.Minute, SweepInterval: 5 * time.Millisecond})
	r := propose(t, b, "pipeline pause orders-etl")
	r.State, r.DecidedBy, r.DecidedAt = ops.Executing, "U-bob", w.clock.Now()
	_, err := w.bus.Requests().Update(context.Background(), r) // as the crashed bot left it
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.svc.Run(ctx)
	w.clock.Advance(5 * time.Minute)
	n := nextNotice(t, b)
	assert.Equal(t, ops.Uncertain, n.Request.State)
	assert.True(t, n.Request.Outcome.Error.Uncertain)
	assert.Equal(t, "Outcome uncertain: the bot carrying it out stopped before it heard back from EnOS, so it may or may not have acted. Check the target's status before asking again.", n.Text)
	assert.Zero(t, w.posts.Load(), "nothing is sent again")
}

func TestStatusCheckGivesUpAtShutdown(t *testing.T) {
	w := newWorld(t)
	// A provider that accepts the pause but keeps reading RUNNING.
	stuck := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/pipeline/") {
			fmt.Fprint(rw, `{"code":0,"msg":"OK","requestId":"x","data":{"pipelineId":"p-100","status":"RUNNING"}}`)
			return
		}
		w.sim.ServeHTTP(rw, r)
	}))
	defer stuck.Close()
	notices := make(chan ops.Notice, 4)
	svc, err := ops.New(settings(ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}}, CheckInterval: time.Hour, CheckTimeout: 2 * time.Hour}), ops.Deps{
		Store: w.bus.Requests(), Claims: w.bus.Claims(), Events: w.bus.Events(), Now: w.clock.Now,
		FrontEnds: notifying(notifierFunc(func(n ops.Notice) { notices <- n })),
		Providers: []ops.Provider{pipelines.New(enos.New(stuck.URL, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}))},
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- svc.Run(ctx) }()

	reply, err := svc.Handle(context.Background(), ops.Input{Text: "pipeline pause orders-etl", User: "U-alice"})
	require.NoError(t, err)
	_, err = svc.Confirm(context.Background(), reply.Request.ID, "U-bob")
	require.NoError(t, err)
	cancel()
	require.NoError(t, <-ran)
	require.NoError(t, svc.Wait(context.Background()), "shutdown does not wait out a two-hour check")
	assert.Empty(t, (<-notices).Text, "first the decision")
	n := <-notices
	assert.Equal(t, "Stopped watching pipeline orders-etl (p-100) as the bot is shutting down; it was RUNNING, not yet PAUSED. Check it with `pipeline show`.", n.Text)
}

// The config gives every duration its default; the service takes them as
// given and refuses one left unset rather than expire or sweep at once.
func TestNewRefusesUnsetDurations(t *testing.T) {
	w := newWorld(t)
	deps := ops.Deps{Store: w.bus.Requests(), Claims: w.bus.Claims(), Events: w.bus.Events()}
	set := settings(ops.Settings{})
	set.SweepInterval, set.TargetWait = 0, 0
	_, err := ops.New(set, deps)
	assert.EqualError(t, err, "ops: settings SweepInterval, TargetWait must be positive durations (the config gives each its default)")
	_, err = ops.New(settings(ops.Settings{}), deps)
	assert.NoError(t, err)
}
