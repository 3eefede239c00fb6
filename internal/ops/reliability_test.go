package ops_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/eg"
	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/operations/eventgrid"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/sandbox/egsim"
)

// fault is what a provider answers after it has acted on a state-changing
// call: the answer a gateway that lost the backend's reply would give.
type fault struct {
	name   string
	status int
	body   string
	cut    bool // close the connection instead of answering
	reason string
}

var faults = []fault{
	{name: "500 with an error code", status: 500, body: `{"error_code":"EG.00015000","error_msg":"Internal error","request_id":"rid-500"}`, reason: "EventGrid answered HTTP 500"},
	{name: "502 from a proxy", status: 502, body: `<html>Bad Gateway</html>`, reason: "EventGrid answered HTTP 502"},
	{name: "503 empty", status: 503, reason: "EventGrid answered HTTP 503"},
	{name: "connection cut", cut: true, reason: "the connection to EventGrid broke before its answer arrived"},
	{name: "undecodable 200", status: 200, body: `{"job_id": `, reason: "EventGrid answered HTTP 200 but its answer could not be read"},
	{name: "200 with an error code", status: 200, body: `{"error_code":"EG.00014000","error_msg":"odd","request_id":"rid-200"}`, reason: "EventGrid answered HTTP 200 with error EG.00014000"},
}

// actThenFail passes state-changing calls to sim, so that they take effect,
// and then answers with f; it counts those calls.
func actThenFail(sim http.Handler, f fault, calls *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || strings.HasSuffix(r.URL.Path, "/auth/tokens") || strings.Contains(r.URL.Path, "token-service") {
			sim.ServeHTTP(rw, r)
			return
		}
		calls.Add(1)
		sim.ServeHTTP(httptest.NewRecorder(), r)
		if f.cut {
			conn, _, err := rw.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		rw.Header().Set("X-Request-Id", "hdr-rid")
		rw.WriteHeader(f.status)
		fmt.Fprint(rw, f.body)
	})
}

func TestSwitchThatMayHaveActedIsUncertainAndItsStatusIsRead(t *testing.T) {
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			w := newWorld(t)
			sim := egsim.New(egsim.Config{Jobs: []egsim.Job{
				{ID: jobID, Name: "orders-dr", Status: "RUNNING", SourceAddress: "10.0.0.5:9092", SinkAddress: "10.0.1.7:9092"},
			}}, egsim.Credentials{ProjectID: projectID, Token: egToken}, egOperations)
			var calls atomic.Int64
			srv := httptest.NewServer(actThenFail(sim, f, &calls))
			t.Cleanup(srv.Close)
			api, err := eg.New(srv.URL, srv.URL, eg.Config{Endpoint: eg.Sandbox, Region: "cn-north-4", ProjectID: projectID, Auth: eg.Auth{Mode: eg.AuthToken, Token: egToken}})
			require.NoError(t, err)
			b := w.startBot(t, w.bus, ops.Settings{Targets: ops.Targets{"job": {"orders-dr": jobID}}, CheckInterval: 10 * time.Millisecond},
				ops.Deps{Providers: []ops.Provider{eventgrid.New(eventgrid.Setup{API: api, Operations: egOperations})}})
			events := subscribe(t, w.bus)

			r := propose(t, b, "job switch orders-dr now")
			done, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
			require.NoError(t, err)
			assert.Equal(t, ops.Uncertain, done.State)
			require.NotNil(t, done.Outcome.Error)
			assert.Equal(t, f.reason, done.Outcome.Error.Reason)
			assert.True(t, strings.HasPrefix(done.Outcome.Summary, "Outcome uncertain: "+f.reason+", so the call to switch job orders-dr ("+jobID+") may have taken effect."), done.Outcome.Summary)
			assert.NotContains(t, done.Outcome.Summary, "Could not")
			if f.status == 500 {
				assert.Equal(t, "EG.00015000", done.Outcome.Error.Code)
				assert.Equal(t, "Internal error", done.Outcome.Error.Message)
				assert.Equal(t, "rid-500", done.Outcome.Error.RequestID)
				assert.Contains(t, done.Outcome.Summary, "EventGrid said: EG.00015000 Internal error (request ID rid-500)")
			}
			assert.EqualValues(t, 1, calls.Load(), "a call that may have acted is never sent again")

			n := nextNotice(t, b)
			assert.Contains(t, n.Text, "has source 10.0.1.7:9092, target 10.0.0.5:9092 after")
			assert.Contains(t, n.Text, "So the call did take effect.")

			stored, err := w.bus.Requests().Get(context.Background(), r.ID)
			require.NoError(t, err)
			assert.Equal(t, ops.Uncertain, stored.State)
			var states []ops.State
			for range 4 {
				states = append(states, nextEvent(t, events).State)
			}
			assert.Equal(t, []ops.State{ops.Pending, ops.Executing, ops.Uncertain, ops.Checked}, states, "the audit says uncertain; the status check is its own event")
		})
	}
}

func TestPauseThatMayHaveActedIsUncertain(t *testing.T) {
	for _, f := range []fault{
		{name: "502", status: 502, body: "Bad Gateway", reason: "EnOS answered HTTP 502"},
		{name: "500 with an envelope", status: 500, body: `{"code":500,"msg":"internal","requestId":"rid-e500"}`, reason: "EnOS answered HTTP 500"},
		{name: "connection cut", cut: true, reason: "the connection to EnOS broke before its answer arrived"},
		{name: "undecodable 200", status: 200, body: `{"code":0,`, reason: "EnOS answered HTTP 200 but its answer could not be read"},
	} {
		t.Run(f.name, func(t *testing.T) {
			w := newWorld(t)
			var calls atomic.Int64
			srv := httptest.NewServer(actThenFail(w.sim, f, &calls))
			t.Cleanup(srv.Close)
			b := w.startBot(t, w.bus, ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}}, CheckInterval: 10 * time.Millisecond},
				ops.Deps{Providers: []ops.Provider{pipelines.New(enos.New(srv.URL, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}))}})
			r := propose(t, b, "pipeline pause orders-etl")
			done, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
			require.NoError(t, err)
			assert.Equal(t, ops.Uncertain, done.State, done.Outcome.Summary)
			assert.Equal(t, f.reason, done.Outcome.Error.Reason)
			assert.EqualValues(t, 1, calls.Load())
			assert.Equal(t, "pipeline orders-etl (p-100) is PAUSED after 0s. So the call did take effect.", nextNotice(t, b).Text)
		})
	}
}

// A refusal the provider proves (a 4xx with its code) is a failure, not an
// uncertain outcome.
func TestRefusedSwitchIsAFailure(t *testing.T) {
	w := newWorld(t)
	sim := egsim.New(egsim.Config{Jobs: []egsim.Job{
		{ID: jobID, Name: "orders-dr", Status: "RUNNING", SourceAddress: "10.0.0.5:9092", SinkAddress: "10.0.1.7:9092"},
	}}, egsim.Credentials{ProjectID: projectID, Token: egToken}, egOperations)
	var calls atomic.Int64
	srv := httptest.NewServer(actThenFail(sim, fault{status: 400, body: `{"error_code":"EG.00014000","error_msg":"bad sink","request_id":"rid-400"}`}, &calls))
	t.Cleanup(srv.Close)
	api, err := eg.New(srv.URL, srv.URL, eg.Config{Endpoint: eg.Sandbox, Region: "cn-north-4", ProjectID: projectID, Auth: eg.Auth{Mode: eg.AuthToken, Token: egToken}})
	require.NoError(t, err)
	b := w.startBot(t, w.bus, ops.Settings{Targets: ops.Targets{"job": {"orders-dr": jobID}}}, ops.Deps{Providers: []ops.Provider{eventgrid.New(eventgrid.Setup{API: api, Operations: egOperations})}})
	r := propose(t, b, "job switch orders-dr")
	done, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	assert.Equal(t, ops.Failed, done.State)
	assert.Equal(t, "Could not switch job orders-dr ("+jobID+"): EG.00014000 bad sink (request ID rid-400)", done.Outcome.Summary)
}

// Two people confirm two different switchovers of one job on two replicas
// at the same moment: only one SWITCH is sent, and the other person is told
// why nothing was sent for theirs.
func TestTwoSwitchesOfOneJobOnTwoReplicasSendOne(t *testing.T) {
	w := newWorld(t)
	sim := egsim.New(egsim.Config{Jobs: []egsim.Job{
		{ID: jobID, Name: "orders-dr", Status: "RUNNING", SourceAddress: "10.0.0.5:9092", SinkAddress: "10.0.1.7:9092"},
	}}, egsim.Credentials{ProjectID: projectID, Token: egToken}, egOperations)
	var switches atomic.Int64
	var slow atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && slow.Load() {
			time.Sleep(200 * time.Millisecond) // a slow job read widens the race
		}
		if strings.HasSuffix(r.URL.Path, "/action") {
			switches.Add(1)
		}
		sim.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	api, err := eg.New(srv.URL, srv.URL, eg.Config{Endpoint: eg.Sandbox, Region: "cn-north-4", ProjectID: projectID, Auth: eg.Auth{Mode: eg.AuthToken, Token: egToken}})
	require.NoError(t, err)
	set := ops.Settings{Targets: ops.Targets{"job": {"orders-dr": jobID}}, CheckInterval: 10 * time.Millisecond}
	deps := ops.Deps{Providers: []ops.Provider{eventgrid.New(eventgrid.Setup{API: api, Operations: egOperations})}}
	first := w.startBot(t, w.bus, set, deps)
	second := w.startBot(t, connect(t, bus.Config{URL: w.bus.ClientURL()}), set, deps)

	r1 := propose(t, first, "job switch orders-dr now")
	r2 := propose(t, second, "job switch orders-dr now")
	slow.Store(true)
	results := make([]ops.Request, 2)
	var wg sync.WaitGroup
	for i, c := range []struct {
		b  *bot
		id string
	}{{first, r1.ID}, {second, r2.ID}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := c.b.svc.Confirm(context.Background(), c.id, fmt.Sprintf("U-%d", i))
			assert.NoError(t, err)
			results[i] = got
		}()
	}
	wg.Wait()

	assert.EqualValues(t, 1, switches.Load(), "one SWITCH, or the job would switch back")
	var states []ops.State
	var refused string
	for _, r := range results {
		states = append(states, r.State)
		if r.State == ops.Failed {
			refused = r.Outcome.Summary
		}
	}
	assert.ElementsMatch(t, []ops.State{ops.Succeeded, ops.Failed}, states)
	assert.Contains(t, refused, "the job changed since the card was made (source now 10.0.1.7:9092, target 10.0.0.5:9092): nothing was sent")
	j, _ := sim.Job(jobID)
	assert.Equal(t, "10.0.1.7:9092", j.SourceAddress, "switched once")
}

// heldPauses is an EnOS, the world's simulator behind it, whose pause calls
// wait until release is called; tests defer release.
func (w *world) heldPauses(t *testing.T) (api *enos.Client, release func()) {
	hold := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("action") == "pause" {
			<-hold
		}
		w.sim.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	return enos.New(srv.URL, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}), sync.OnceFunc(func() { close(hold) })
}

// While one request acts on a target, another confirmed for it waits; if
// the first takes longer than target_wait, the second is refused with the
// reason and stays pending.
func TestBusyTargetRefusesWithTheReason(t *testing.T) {
	w := newWorld(t)
	api, release := w.heldPauses(t)
	defer release()
	b := w.startBot(t, w.bus, ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}}, TargetWait: 200 * time.Millisecond, CheckInterval: 10 * time.Millisecond},
		ops.Deps{Providers: []ops.Provider{pipelines.New(api)}})
	first := propose(t, b, "pipeline pause orders-etl")
	second := propose(t, b, "pipeline stop orders-etl")
	firstDone := make(chan struct{})
	go func() {
		defer close(firstDone)
		b.svc.Confirm(context.Background(), first.ID, "U-bob")
	}()
	require.Eventually(t, func() bool {
		r, err := w.bus.Requests().Get(context.Background(), first.ID)
		return err == nil && r.State == ops.Executing
	}, 15*time.Second, 5*time.Millisecond)

	held, _, err := w.bus.Claims().GetClaim(context.Background(), "pipeline.p-100")
	require.NoError(t, err)
	assert.Equal(t, first.ID, held.Request)
	assert.Equal(t, 5*time.Minute+2*time.Minute, held.Until.Sub(held.At), "it outlasts the longest call and the status check after it")

	got, err := b.svc.Confirm(context.Background(), second.ID, "U-carol")
	require.Error(t, err)
	assert.Equal(t, fmt.Sprintf("pipeline orders-etl (p-100) is busy with %s (pipeline pause, confirmed by U-bob), still running or being checked: nothing was done for %s, which is still pending. Confirm it again once %s has finished; a switchover is read again then.",
		first.ID, second.ID, first.ID), err.Error())
	assert.Equal(t, ops.Pending, got.State)
	stored, err := w.bus.Requests().Get(context.Background(), second.ID)
	require.NoError(t, err)
	assert.Equal(t, ops.Pending, stored.State)

	release()
	<-firstDone
	assert.Contains(t, nextNotice(t, b).Text, "is PAUSED", "the first request's check ends and frees the target")
	_, err = b.svc.Confirm(context.Background(), second.ID, "U-carol")
	require.NoError(t, err, "once the first has finished the second goes ahead")
	assert.Contains(t, nextNotice(t, b).Text, "is STOPPED")
}

// countedClaims counts the reads of a claim and tells when one is watched.
type countedClaims struct {
	ops.Claims
	gets     atomic.Int64
	watched  chan struct{}
	watchOne sync.Once
}

func (c *countedClaims) GetClaim(ctx context.Context, key string) (ops.Claim, uint64, error) {
	c.gets.Add(1)
	return c.Claims.GetClaim(ctx, key)
}

func (c *countedClaims) WatchClaim(ctx context.Context, key string) (<-chan struct{}, error) {
	changed, err := c.Claims.WatchClaim(ctx, key)
	c.watchOne.Do(func() { close(c.watched) })
	return changed, err
}

// A confirmation waiting for a busy target watches its claim instead of
// reading it over and over, and goes ahead as soon as the claim is released.
func TestWaitingConfirmationWakesWhenTheTargetIsReleased(t *testing.T) {
	w := newWorld(t)
	api, release := w.heldPauses(t)
	defer release()
	claims := &countedClaims{Claims: w.bus.Claims(), watched: make(chan struct{})}
	// A minute's wait: a waiter that missed the release would fail the test.
	b := w.startBot(t, w.bus, ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}}, TargetWait: time.Minute, CheckInterval: 10 * time.Millisecond},
		ops.Deps{Claims: claims, Providers: []ops.Provider{pipelines.New(api)}})
	first := propose(t, b, "pipeline pause orders-etl")
	second := propose(t, b, "pipeline stop orders-etl")
	events := subscribe(t, w.bus)
	go b.svc.Confirm(context.Background(), first.ID, "U-bob")
	e := nextEvent(t, events)
	require.Equal(t, first.ID, e.RequestID)
	require.Equal(t, ops.Executing, e.State)

	secondDone := make(chan error, 1)
	go func() {
		_, err := b.svc.Confirm(context.Background(), second.ID, "U-carol")
		secondDone <- err
	}()
	select {
	case <-claims.watched:
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting confirmation never watched the claim")
	}
	require.Eventually(t, func() bool { return claims.gets.Load() >= 1 }, 10*time.Second, time.Millisecond, "it reads who holds the target once")
	// Polling would read the claim again and again while the first runs;
	// a watch reads it only when it changes, which it does not here.
	select {
	case err := <-secondDone:
		t.Fatalf("the second confirmation ended while the target was held: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	assert.EqualValues(t, 1, claims.gets.Load(), "reads of the claim while nothing changed")

	release()
	var states []string
	for range 4 {
		e := nextEvent(t, events)
		states = append(states, e.RequestID+" "+string(e.State))
	}
	assert.Equal(t, []string{first.ID + " " + string(ops.Succeeded), first.ID + " " + string(ops.Checked), second.ID + " " + string(ops.Executing), second.ID + " " + string(ops.Succeeded)}, states,
		"the second goes ahead once the first's check has ended and released the target")
	require.NoError(t, <-secondDone)
	assert.Contains(t, nextNotice(t, b).Text, "is PAUSED")
	assert.Contains(t, nextNotice(t, b).Text, "is STOPPED")
}

// A request for a provider this replica lacks is left for one that has it.
func TestReplicaWithoutTheProviderLeavesTheRequestPending(t *testing.T) {
	w := newWorld(t)
	withEnOS := w.newBot(t, w.bus, ops.Settings{})
	egOnly := newEGWorld(t)
	withoutEnOS := egOnly.startBot(t, connect(t, bus.Config{URL: w.bus.ClientURL()}), ops.Settings{},
		ops.Deps{Providers: []ops.Provider{eventgrid.New(eventgrid.Setup{API: egOnly.api, Operations: egOperations})}})
	r := propose(t, withEnOS, "pipeline pause orders-etl")

	_, err := withoutEnOS.svc.Confirm(context.Background(), r.ID, "U-bob")
	var ie *ops.InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "this bot cannot carry out pipeline pause: its provider is not configured here. Nothing was done and "+r.ID+" is still pending", ie.Msg)
	done, err := withEnOS.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	assert.Equal(t, ops.Succeeded, done.State)
}

// A provider slower than the abandonment limit: the replica making the call
// does not call it abandoned, and when another replica has, the real
// outcome is stored and reported all the same.
func TestCallLongerThanTheAbandonLimitKeepsItsOutcome(t *testing.T) {
	w := newWorld(t)
	api, release := w.heldPauses(t)
	defer release()
	set := ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}}, AbandonAfter: time.Minute, SweepInterval: 5 * time.Millisecond, CheckInterval: 10 * time.Millisecond}
	deps := ops.Deps{Providers: []ops.Provider{pipelines.New(api)}}
	caller := w.startBot(t, w.bus, set, deps)
	other := w.startBot(t, connect(t, bus.Config{URL: w.bus.ClientURL()}), set, deps)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go caller.svc.Run(ctx)

	r := propose(t, caller, "pipeline pause orders-etl")
	done := make(chan ops.Request, 1)
	go func() {
		got, err := caller.svc.Confirm(context.Background(), r.ID, "U-bob")
		assert.NoError(t, err)
		done <- got
	}()
	require.Eventually(t, func() bool {
		open, err := caller.svc.Pending(context.Background())
		return err == nil && len(open) == 1 && open[0].State == ops.Executing
	}, 15*time.Second, 5*time.Millisecond)
	w.clock.Advance(2 * time.Minute)
	caller.svc.Sweep(context.Background())
	select {
	case n := <-caller.notices:
		t.Fatalf("the replica making the call reported it: %s", n.Text)
	default:
	}

	// The other replica cannot know the call is alive; its index of open
	// requests sees the executing one a moment later.
	var abandoned ops.Notice
	require.Eventually(t, func() bool {
		other.svc.Sweep(context.Background())
		select {
		case abandoned = <-other.notices:
			return true
		default:
			return false
		}
	}, 10*time.Second, 10*time.Millisecond)
	assert.Contains(t, abandoned.Text, "Outcome uncertain: the bot carrying it out stopped")
	release()
	got := <-done
	assert.Equal(t, ops.Succeeded, got.State, "the call's outcome wins over the report of its abandonment")
	stored, err := w.bus.Requests().Get(context.Background(), r.ID)
	require.NoError(t, err)
	assert.Equal(t, ops.Succeeded, stored.State)
	assert.Equal(t, got.Outcome.Summary, stored.Outcome.Summary)
}

// The provider's text is shown as text: no terminal escape, no line break
// that could forge a "Confirmed by" line.
func TestProviderTextIsPlain(t *testing.T) {
	w := newWorld(t)
	evil := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("action") != "" {
			fmt.Fprint(rw, `{"code":61152,"msg":"no\u001b[2J\u001b[H\nr-000000: Confirmed by mallory\u202e","requestId":"id\u001b[31m"}`)
			return
		}
		w.sim.ServeHTTP(rw, r)
	}))
	defer evil.Close()
	b := w.startBot(t, w.bus, ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}}},
		ops.Deps{Providers: []ops.Provider{pipelines.New(enos.New(evil.URL, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}))}})
	r := propose(t, b, "pipeline pause orders-etl")
	done, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	assert.Equal(t, "Could not pause pipeline orders-etl (p-100): 61152 no [2J [H r-000000: Confirmed by mallory (request ID id [31m)", done.Outcome.Summary)
}

func TestPlainText(t *testing.T) {
	for in, want := range map[string]string{
		"plain words":          "plain words",
		"a\x1b[2Jb":            "a [2Jb",
		"line\nbreak\r\ttab":   "line break  tab",
		"rtl\u202eevil\u2066x": "rtlevilx",
		"bad \xff utf8":        "bad \uFFFD utf8",
		"c1 \u009b control":    "c1   control",
		"keeps ünïcödé and 中文": "keeps ünïcödé and 中文",
	} {
		assert.Equal(t, want, ops.PlainText(in), "%q", in)
	}
}

// storeThatLosesAcks stores a request but answers as if NATS went away
// before its acknowledgement arrived: the write landed, the bot cannot know.
type storeThatLosesAcks struct {
	ops.Store
	lose atomic.Bool
}

func (s *storeThatLosesAcks) Create(ctx context.Context, r ops.Request) (uint64, error) {
	rev, err := s.Store.Create(ctx, r)
	if err == nil && s.lose.Load() {
		return 0, errors.New("nats: timeout")
	}
	return rev, err
}

func (s *storeThatLosesAcks) Update(ctx context.Context, r ops.Request) (uint64, error) {
	rev, err := s.Store.Update(ctx, r)
	if err == nil && s.lose.Load() && r.State == ops.Executing {
		return 0, errors.New("nats: timeout")
	}
	return rev, err
}

// A confirmation whose record may or may not have landed calls nothing; if
// it landed, the sweep ends the request rather than leave it executing
// with no call behind it.
func TestConfirmationNotRecordedCallsNothing(t *testing.T) {
	w := newWorld(t)
	store := &storeThatLosesAcks{Store: w.bus.Requests()}
	b := w.startBot(t, w.bus, ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}}},
		ops.Deps{Store: store, Providers: []ops.Provider{pipelines.New(enos.New(w.url, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}))}})
	r := propose(t, b, "pipeline pause orders-etl")
	store.lose.Store(true)
	_, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "could not record the decision on "+r.ID+" in NATS, so nothing was done")
	assert.Zero(t, w.posts.Load())

	b.svc.Sweep(context.Background())
	ended, err := w.bus.Requests().Get(context.Background(), r.ID)
	require.NoError(t, err)
	assert.Equal(t, ops.Failed, ended.State)
	assert.Equal(t, "Not carried out: the bot could not record U-bob's confirmation, so it did not call EnOS; nothing was done. Ask again.", ended.Outcome.Summary)
	assert.Zero(t, w.posts.Load())
}

// A request the bot said it could not store must not come back: if the
// write landed after all, the sweep withdraws it before anyone confirms it.
func TestRequestSaidNotStoredIsWithdrawn(t *testing.T) {
	w := newWorld(t)
	store := &storeThatLosesAcks{Store: w.bus.Requests()}
	store.lose.Store(true)
	b := w.startBot(t, w.bus, ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}}},
		ops.Deps{Store: store, Providers: []ops.Provider{pipelines.New(enos.New(w.url, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}))}})
	_, err := b.svc.Handle(context.Background(), ops.Input{Text: "pipeline pause orders-etl", User: "U-alice"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "could not store the request in NATS, so it was not made and nothing will be done")
	open, err := b.svc.Pending(context.Background())
	require.NoError(t, err)
	require.Len(t, open, 1, "the write landed after all")

	b.svc.Sweep(context.Background())
	withdrawn, err := w.bus.Requests().Get(context.Background(), open[0].ID)
	require.NoError(t, err)
	assert.Equal(t, ops.Failed, withdrawn.State)
	assert.Contains(t, withdrawn.Outcome.Summary, "Withdrawn")
	_, err = b.svc.Confirm(context.Background(), open[0].ID, "U-bob")
	require.Error(t, err, "it can no longer be confirmed")
	assert.Zero(t, w.posts.Load())
}

// NATS stops while a request is proposed and comes back: the answer given
// then ("not made") is still true afterwards.
func TestProposalWhileNATSIsAwayIsNotStoredLater(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	opts := &server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true}
	srv, err := server.NewServer(opts)
	require.NoError(t, err)
	srv.Start()
	require.True(t, srv.ReadyForConnections(10*time.Second))
	opts.Port = srv.Addr().(*net.TCPAddr).Port
	t.Cleanup(func() { srv.Shutdown() })
	url := srv.ClientURL()
	nc := connect(t, bus.Config{URL: url})
	b := w.newBot(t, nc, ops.Settings{})

	srv.Shutdown()
	srv.WaitForShutdown()
	_, err = b.svc.Handle(context.Background(), ops.Input{Text: "pipeline pause orders-etl", User: "U-alice"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "could not store the request in NATS, so it was not made and nothing will be done")

	srv, err = server.NewServer(opts)
	require.NoError(t, err)
	srv.Start()
	require.True(t, srv.ReadyForConnections(10*time.Second))
	require.Eventually(t, func() bool { return nc.Conn().IsConnected() }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, nc.Conn().Flush())
	b.svc.Sweep(context.Background())
	open, err := b.svc.Pending(context.Background())
	require.NoError(t, err)
	assert.Empty(t, open, "nothing was kept to be stored once NATS came back")
	r := propose(t, b, "pipeline pause orders-etl")
	assert.Equal(t, ops.Pending, r.State, "proposals work again")
}

// A creation that may have happened has no job ID to read: the person is
// sent to look for the job by name.
func TestCreateThatMayHaveActedSaysWhereToLook(t *testing.T) {
	w := newWorld(t)
	sim := egsim.New(egsim.Config{}, egsim.Credentials{ProjectID: projectID, Token: egToken}, egOperations)
	var calls atomic.Int64
	srv := httptest.NewServer(actThenFail(sim, fault{status: 504, body: "Gateway Timeout"}, &calls))
	t.Cleanup(srv.Close)
	api, err := eg.New(srv.URL, srv.URL, eg.Config{Endpoint: eg.Sandbox, Region: "cn-north-4", ProjectID: projectID, Auth: eg.Auth{Mode: eg.AuthToken, Token: egToken}})
	require.NoError(t, err)
	plain := &eg.KafkaParams{ConfigType: "CLOUD", Region: "cn-north-4", ProjectID: projectID, InstanceID: "i-1", ClusterAlias: "a", Address: "10.0.0.5:9092", AuthenticateMode: "PLAINTEXT"}
	tmpl := eg.JobTemplate{ClusterID: jobID, Source: eg.SourceConfig{Kafka: plain}, Sink: eg.SinkConfig{Kafka: plain},
		Advance: eg.AdvanceConfig{Kafka2Kafka: &eg.Kafka2Kafka{Topics: "orders", ReplicaCnt: 1, SeekTo: "latest", CompressAlg: "none", IsSyncProgress: new(true), IsAddHeader: new(false)}}}
	b := w.startBot(t, w.bus, ops.Settings{}, ops.Deps{Providers: []ops.Provider{eventgrid.New(eventgrid.Setup{API: api, Operations: egOperations, Templates: map[string]eg.JobTemplate{"dr": tmpl}})}})

	r := propose(t, b, "job create nightly template=dr")
	done, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	assert.Equal(t, ops.Uncertain, done.State)
	assert.Equal(t, "Outcome uncertain: EventGrid answered HTTP 504, so the call to create job nightly may have taken effect. EventGrid said: Gateway Timeout (request ID hdr-rid). Check the provider's console for job nightly before asking again.", done.Outcome.Summary)
	assert.EqualValues(t, 1, calls.Load())
}

// Whoever decides a request, every front end hears of it, so that a card
// shown elsewhere (a Slack card confirmed from the console) is brought up
// to date.
func TestDecisionsAreAnnounced(t *testing.T) {
	w := newWorld(t)
	b := w.newBot(t, w.bus, ops.Settings{})
	r := propose(t, b, "pipeline pause orders-etl")
	_, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	decided := <-b.decisions
	assert.Equal(t, r.ID, decided.ID)
	assert.Equal(t, ops.Succeeded, decided.State)
	require.NotNil(t, decided.Outcome)

	c := propose(t, b, "pipeline stop orders-etl")
	_, err = b.svc.Cancel(context.Background(), c.ID, "U-bob")
	require.NoError(t, err)
	decided = <-b.decisions
	assert.Equal(t, c.ID, decided.ID)
	assert.Equal(t, ops.Cancelled, decided.State)
}

// A claim left by a bot that stopped lapses: after its Until when its
// request was executing, after a short grace when it never got that far,
// and target_wait later when that request has several targets: it may
// still be waiting for its other claims.
func TestLapsedClaimsAreTakenOver(t *testing.T) {
	for _, c := range []struct {
		name    string
		state   ops.State
		before  time.Duration // the claim still holds this long after it was taken
		after   time.Duration // and has lapsed by then
		several bool          // the claim's request has several targets
	}{
		{"stopped mid-call", ops.Executing, 5 * time.Minute, 7*time.Minute + time.Second, false},
		{"stopped before the confirmation was recorded", ops.Pending, 29 * time.Second, 31 * time.Second, false},
		{"lapsed once the grace is up", ops.Pending, 30*time.Second - time.Millisecond, 30 * time.Second, false},
		{"several targets", ops.Pending, 30 * time.Second, 30*time.Second + 100*time.Millisecond, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			b := w.newBot(t, w.bus, ops.Settings{AbandonAfter: 5 * time.Minute, CheckTimeout: 2 * time.Minute, TargetWait: 100 * time.Millisecond})
			var left ops.Request
			if c.several {
				left = storeGroupRequest(t, w, "p-100", "p-200")
			} else {
				left = propose(t, b, "pipeline stop orders-etl")
				left.State = c.state
				_, err := w.bus.Requests().Update(context.Background(), left)
				require.NoError(t, err)
			}
			_, err := w.bus.Claims().CreateClaim(context.Background(), "pipeline.p-100",
				ops.Claim{Request: left.ID, At: w.clock.Now(), Until: w.clock.Now().Add(7 * time.Minute)})
			require.NoError(t, err)
			r := propose(t, b, "pipeline pause orders-etl")

			w.clock.Advance(c.before)
			_, err = b.svc.Confirm(context.Background(), r.ID, "U-bob")
			require.ErrorContains(t, err, "is busy with "+left.ID)
			w.clock.Advance(c.after - c.before)
			done, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
			require.NoError(t, err)
			assert.Equal(t, ops.Succeeded, done.State)
			assert.Contains(t, nextNotice(t, b).Text, "is PAUSED")
		})
	}
}

// onGet is a store that runs a hook before each read of a request.
type onGet struct {
	ops.Store
	hook func(id string)
}

func (s onGet) Get(ctx context.Context, id string) (ops.Request, error) {
	s.hook(id)
	return s.Store.Get(ctx, id)
}

// A confirmation waiting on a claim whose request is still pending takes
// the claim over as soon as its grace is up, not at the claim's end: the
// bot that took it stopped before it recorded the confirmation.
func TestWaitingConfirmationTakesOverAClaimOnceItsGraceIsUp(t *testing.T) {
	w := newWorld(t)
	set := settings(ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}}, CheckInterval: 10 * time.Millisecond})
	maker := w.newBot(t, w.bus, set)
	left := propose(t, maker, "pipeline stop orders-etl")
	_, err := w.bus.Claims().CreateClaim(context.Background(), "pipeline.p-100",
		ops.Claim{Request: left.ID, At: w.clock.Now(), Until: w.clock.Now().Add(7 * time.Minute)})
	require.NoError(t, err)
	r := propose(t, maker, "pipeline pause orders-etl")
	w.clock.Advance(29 * time.Second)

	// Once the confirmation has read who holds the claim, and before it
	// waits, the grace runs out.
	var holderRead, advanced atomic.Bool
	store := onGet{Store: w.bus.Requests(), hook: func(id string) {
		switch {
		case id == left.ID:
			holderRead.Store(true)
		case id == r.ID && holderRead.Load() && !advanced.Swap(true):
			w.clock.Advance(2 * time.Second)
		}
	}}
	b := w.startBot(t, w.bus, set, ops.Deps{
		Store:     store,
		Providers: []ops.Provider{pipelines.New(enos.New(w.url, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}))},
	})
	done, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err, "taken over at the grace's end, within target_wait")
	assert.Equal(t, ops.Succeeded, done.State)
	assert.True(t, advanced.Load(), "the confirmation waited on the claim")
}

// A stop with a call in flight stores it uncertain, with the reason, and
// says so; a call another replica already reported is not reported twice;
// a call that returns after all still stores its real outcome.
func TestAbandonAtShutdown(t *testing.T) {
	w := newWorld(t)
	api, release := w.heldPauses(t)
	defer release()
	set := ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100", "billing": "p-200"}}, AbandonAfter: time.Minute, CheckInterval: 10 * time.Millisecond}
	deps := ops.Deps{Providers: []ops.Provider{pipelines.New(api)}}
	caller := w.startBot(t, w.bus, set, deps)
	other := w.startBot(t, connect(t, bus.Config{URL: w.bus.ClientURL()}), set, deps)
	ctx := context.Background()
	// Run's end stops the status checks, which the fake clock never times out.
	running, stop := context.WithCancel(ctx)
	defer stop()
	go caller.svc.Run(running)

	confirm := func(text string) (ops.Request, chan ops.Request) {
		r := propose(t, caller, text)
		done := make(chan ops.Request, 1)
		go func() {
			got, err := caller.svc.Confirm(ctx, r.ID, "U-bob")
			assert.NoError(t, err)
			done <- got
		}()
		require.Eventually(t, func() bool {
			got, err := w.bus.Requests().Get(ctx, r.ID)
			return err == nil && got.State == ops.Executing
		}, 5*time.Second, 5*time.Millisecond)
		return r, done
	}
	reported, reportedDone := confirm("pipeline pause billing")
	// The other replica reports the first call abandoned before the stop.
	w.clock.Advance(2 * time.Minute)
	require.Eventually(t, func() bool {
		other.svc.Sweep(ctx)
		got, err := w.bus.Requests().Get(ctx, reported.ID)
		return err == nil && got.State == ops.Uncertain
	}, 10*time.Second, 10*time.Millisecond)
	<-other.notices
	r, done := confirm("pipeline pause orders-etl")

	left := caller.svc.Abandon(ctx)
	require.Len(t, left, 1, "the request already reported is not reported again")
	assert.Equal(t, r.ID, left[0].ID)
	const why = "Outcome uncertain: the bot was stopped before it heard back from EnOS, so it may or may not have acted. Check the target's status before asking again."
	n := nextNotice(t, caller)
	assert.Equal(t, r.ID, n.Request.ID)
	assert.Equal(t, why, n.Text)
	stored, err := w.bus.Requests().Get(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, ops.Uncertain, stored.State)
	assert.Equal(t, why, stored.Outcome.Summary)
	open, err := caller.svc.Pending(ctx)
	require.NoError(t, err)
	assert.Empty(t, open, "pending no longer lists it")

	release()
	assert.Equal(t, ops.Succeeded, (<-done).State)
	<-reportedDone // billing is stopped: that pause fails
	stored, err = w.bus.Requests().Get(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, ops.Succeeded, stored.State, "the call's outcome wins over the stop's report")
}
