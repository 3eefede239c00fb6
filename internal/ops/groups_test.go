package ops_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/operations/eventgrid"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/sandbox/enossim"
)

// ordersTargets are three running pipelines, a stream and a job, and the
// groups made of them: @orders holds the three pipelines and the stream.
var ordersTargets = ops.Settings{
	Targets: ops.Targets{
		"pipeline": {"orders-etl": "p-100", "billing-agg": "p-200", "clickstream-etl": "p-300"},
		"stream":   {"clickstream": "es-1"},
		"job":      {"orders-dr": jobID},
	},
	Groups: map[string][]string{
		"orders":  {"pipeline:orders-etl", "pipeline:billing-agg", "stream:clickstream", "pipeline:clickstream-etl"},
		"streams": {"stream:clickstream"},
		"jobs":    {"job:orders-dr"},
	},
	CheckInterval: 10 * time.Millisecond,
}

// ordersWorld is a world whose EnOS runs the three pipelines of @orders,
// with EventGrid beside it for the stream and the job.
func ordersWorld(t *testing.T) *egWorld {
	w := newEGWorld(t)
	w.sim = enossim.New(enossim.Config{Pipelines: []enossim.Pipeline{
		{ID: "p-100", Name: "orders-etl", Status: enos.StatusRunning},
		{ID: "p-200", Name: "billing-agg", Status: enos.StatusRunning},
		{ID: "p-300", Name: "clickstream-etl", Status: enos.StatusRunning},
	}}, orgID, appKey, appSecret)
	return w
}

// pauses is an EnOS, the world's simulator behind it, that counts the
// pause calls per pipeline. The pause of failing is carried out by the
// simulator and then answered with HTTP 500, as a gateway that fails after
// the call acted does; hold, when not nil, keeps every pause waiting until
// it is closed.
func (w *world) pauses(t *testing.T, failing string, hold <-chan struct{}) (api *enos.Client, calls func(id string) int) {
	var mu sync.Mutex
	n := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("action") != "pause" {
			w.sim.ServeHTTP(rw, r)
			return
		}
		id := path.Base(r.URL.Path)
		mu.Lock()
		n[id]++
		mu.Unlock()
		if hold != nil {
			<-hold
		}
		if id != failing {
			w.sim.ServeHTTP(rw, r)
			return
		}
		w.sim.ServeHTTP(httptest.NewRecorder(), r) // it acts...
		http.Error(rw, "upstream reset", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	calls = func(id string) int {
		mu.Lock()
		defer mu.Unlock()
		return n[id]
	}
	return enos.New(srv.URL, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}), calls
}

func (w *egWorld) ordersDeps(api *enos.Client) ops.Deps {
	return ops.Deps{Providers: []ops.Provider{
		pipelines.New(api),
		eventgrid.New(eventgrid.Setup{API: w.api, Operations: egOperations}),
	}}
}

func callOf(id string) string {
	return "EnOS POST /streaming/v2.0/streaming/pipeline/" + id + "?action=pause&orgId=o-test"
}

// A command on a group makes one request on its members of the
// operation's kind, one call line each, and says which members it leaves
// out and what would act on them.
func TestGroupCommandMakesOneRequestOnItsMembersOfTheKind(t *testing.T) {
	w := ordersWorld(t)
	api, _ := w.pauses(t, "", nil)
	b := w.startBot(t, w.bus, ordersTargets, w.ordersDeps(api))
	events := subscribe(t, w.bus)

	r := propose(t, b, "pipeline pause @orders")
	assert.Equal(t, "orders", r.Group)
	require.Len(t, r.Targets(), 3)
	for i, id := range []string{"p-100", "p-200", "p-300"} {
		assert.Equal(t, id, r.Targets()[i].ID)
		assert.Equal(t, "org o-test", r.Targets()[i].Scope, "each target prepared")
		assert.Equal(t, pipelines.Provider, r.Targets()[i].Provider)
	}
	assert.Equal(t, "orders-etl (p-100): "+callOf("p-100")+"\n"+
		"billing-agg (p-200): "+callOf("p-200")+"\n"+
		"clickstream-etl (p-300): "+callOf("p-300"), r.Call)
	assert.Zero(t, w.posts.Load(), "nothing is called before the confirmation")

	card := ops.CardOf(r)
	assert.Equal(t, "pipeline pause @orders (3 pipelines)", card.Title)
	assert.Equal(t, []ops.Field{
		{Label: "Request", Value: r.ID},
		{Label: "Operation", Value: "pipeline pause"},
		{Label: "Targets", Value: "@orders (3 pipelines): orders-etl (p-100), billing-agg (p-200), clickstream-etl (p-300)"},
		{Label: "Provider", Value: "EnOS, org o-test"},
		{Label: "Calls", Value: r.Call},
		{Label: "Not included", Value: "stream clickstream (es-1) (not a pipeline): use `stream pause @orders` for it"},
		{Label: "Requested by", Value: "U-alice"},
		{Label: "Expires", Value: "2026-11-26 09:10:00 UTC"},
	}, card.Fields)

	e := nextEvent(t, events)
	assert.Equal(t, ops.Pending, e.State)
	assert.Equal(t, r.Targets(), e.Targets(), "the audit event names every target")
	assert.Equal(t, "orders", e.Group)
	assert.Equal(t, r.Call, e.Call)

	pending, err := b.svc.Handle(context.Background(), ops.Input{Text: "pending", User: "U-alice", Origin: ops.Origin{Frontend: "test"}})
	require.NoError(t, err)
	assert.Contains(t, pending.Text, r.ID+"  pending    pipeline pause @orders (3 pipelines): orders-etl (p-100), billing-agg (p-200), clickstream-etl (p-300), asked by U-alice")

	stored, err := w.bus.Requests().Get(context.Background(), r.ID)
	require.NoError(t, err)
	assert.Equal(t, r.Targets(), stored.Targets())
	assert.Equal(t, "orders", stored.Group)
}

// A group of three, one of whose calls fails with HTTP 500 after acting:
// three calls, each once; one uncertain line apart from the two done; the
// request uncertain; the status read after each call, each naming its
// target; nothing offered to undo.
func TestGroupWithOneCallUncertainKeepsItApart(t *testing.T) {
	w := ordersWorld(t)
	api, calls := w.pauses(t, "p-200", nil)
	b := w.startBot(t, w.bus, ordersTargets, w.ordersDeps(api))
	r := propose(t, b, "pipeline pause @orders")

	got, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	for _, id := range []string{"p-100", "p-200", "p-300"} {
		assert.Equal(t, 1, calls(id), id)
	}
	assert.Equal(t, ops.Uncertain, got.State)
	require.Len(t, got.Outcomes, 3)
	assert.Nil(t, got.Outcomes[0].Outcome.Error)
	require.NotNil(t, got.Outcomes[1].Outcome.Error)
	assert.True(t, got.Outcomes[1].Outcome.Error.Uncertain)
	assert.Nil(t, got.Outcomes[2].Outcome.Error)
	lines := strings.Split(got.Outcome.Summary, "\n")
	require.Len(t, lines, 5, got.Outcome.Summary)
	assert.Equal(t, "Uncertain (1 of 3):", lines[0])
	assert.Regexp(t, `^- Outcome uncertain: EnOS answered HTTP 500, so the call to pause pipeline billing-agg \(p-200\) may have taken effect\.`, lines[1])
	assert.Equal(t, "Done (2 of 3):", lines[2])
	assert.Regexp(t, `^- Paused pipeline orders-etl \(p-100\): `, lines[3])
	assert.Regexp(t, `^- Paused pipeline clickstream-etl \(p-300\): `, lines[4])
	assert.Empty(t, got.Outcome.Undo, "no undo is offered for several targets")
	assert.Contains(t, ops.CardOf(got).Status, "Confirmed by U-bob. Uncertain (1 of 3):")

	followUps := []string{nextNotice(t, b).Text, nextNotice(t, b).Text, nextNotice(t, b).Text}
	slices.Sort(followUps)
	assert.Regexp(t, `^pipeline billing-agg \(p-200\) is PAUSED after .*\. So the call did take effect\.$`, followUps[0])
	assert.Regexp(t, `^pipeline clickstream-etl \(p-300\) is PAUSED after `, followUps[1])
	assert.Regexp(t, `^pipeline orders-etl \(p-100\) is PAUSED after `, followUps[2])

	stored, err := w.bus.Requests().Get(context.Background(), r.ID)
	require.NoError(t, err)
	assert.Equal(t, ops.Uncertain, stored.State)
	assert.Equal(t, got.Outcomes, stored.Outcomes)
}

// A failure that did not act is apart from an uncertain one: the request
// failed, and its summary puts the failure first.
func TestGroupWithOneCallRefusedSaysFailedApart(t *testing.T) {
	w := ordersWorld(t)
	w.sim = enossim.New(enossim.Config{Pipelines: []enossim.Pipeline{
		{ID: "p-100", Name: "orders-etl", Status: enos.StatusRunning},
		{ID: "p-200", Name: "billing-agg", Status: enos.StatusStopped}, // a stopped pipeline cannot pause
		{ID: "p-300", Name: "clickstream-etl", Status: enos.StatusRunning},
	}}, orgID, appKey, appSecret)
	api, calls := w.pauses(t, "", nil)
	b := w.startBot(t, w.bus, ordersTargets, w.ordersDeps(api))
	r := propose(t, b, "pipeline pause @orders")
	got, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	assert.Equal(t, ops.Failed, got.State)
	assert.Equal(t, 1, calls("p-200"))
	lines := strings.Split(got.Outcome.Summary, "\n")
	require.Len(t, lines, 5, got.Outcome.Summary)
	assert.Equal(t, "Failed (1 of 3):", lines[0])
	assert.Regexp(t, `^- Could not pause pipeline billing-agg \(p-200\): `, lines[1])
	assert.Equal(t, "Done (2 of 3):", lines[2])
}

// Two replicas confirming one group request at the same moment still make
// three calls, one per target.
func TestGroupConfirmedOnTwoReplicasAtOnceCallsEachOnce(t *testing.T) {
	w := ordersWorld(t)
	hold := make(chan struct{})
	api, calls := w.pauses(t, "", hold)
	first := w.startBot(t, w.bus, ordersTargets, w.ordersDeps(api))
	second := w.startBot(t, connect(t, bus.Config{URL: w.bus.ClientURL()}), ordersTargets, w.ordersDeps(api))
	r := propose(t, first, "pipeline pause @orders")

	type result struct {
		r   ops.Request
		err error
	}
	results := make(chan result, 2)
	var start sync.WaitGroup
	start.Add(1)
	for i, b := range []*bot{first, second} {
		go func() {
			start.Wait()
			got, err := b.svc.Confirm(context.Background(), r.ID, fmt.Sprintf("U-%d", i))
			results <- result{got, err}
		}()
	}
	start.Done()
	waitExecuting(t, w.world, r.ID)
	close(hold)
	var done, refused int
	for range 2 {
		res := <-results
		if res.err != nil {
			refused++
			assert.Contains(t, res.err.Error(), r.ID)
			continue
		}
		done++
		assert.Equal(t, ops.Succeeded, res.r.State)
	}
	assert.Equal(t, 1, done, "one confirmation carries it out")
	assert.Equal(t, 1, refused, "the other is told it is already decided")
	for _, id := range []string{"p-100", "p-200", "p-300"} {
		assert.Equal(t, 1, calls(id), id)
	}
}

// A group with members busy with other requests is refused, naming each
// busy member and the request holding it; no member is called, and the
// claims it took are given back.
func TestGroupWithBusyMembersNamesEach(t *testing.T) {
	w := ordersWorld(t)
	hold := make(chan struct{})
	defer func() {
		select {
		case <-hold:
		default:
			close(hold)
		}
	}()
	api, calls := w.pauses(t, "", hold)
	set := ordersTargets
	set.TargetWait = 200 * time.Millisecond
	b := w.startBot(t, w.bus, set, w.ordersDeps(api))
	var busy []ops.Request
	for _, alias := range []string{"orders-etl", "clickstream-etl"} {
		one := propose(t, b, "pipeline pause "+alias)
		go b.svc.Confirm(context.Background(), one.ID, "U-bob")
		waitExecuting(t, w.world, one.ID)
		busy = append(busy, one)
	}

	r := propose(t, b, "pipeline pause @orders")
	got, err := b.svc.Confirm(context.Background(), r.ID, "U-carol")
	require.Error(t, err)
	assert.Equal(t, fmt.Sprintf("2 targets of %s are busy with other requests, still running or being checked: "+
		"pipeline orders-etl (p-100) is busy with %s (pipeline pause, confirmed by U-bob); "+
		"pipeline clickstream-etl (p-300) is busy with %s (pipeline pause, confirmed by U-bob). "+
		"Nothing was done for %s, which is still pending: confirm it again once those have finished.",
		r.ID, busy[0].ID, busy[1].ID, r.ID), err.Error())
	assert.Equal(t, ops.Pending, got.State)
	assert.Zero(t, calls("p-200"), "the free member is not called")
	_, held := claimOn(t, w.world, "pipeline.p-200")
	assert.False(t, held, "the free member's claim is not kept")
}

// A group whose members are all of the operation's kind leaves none out,
// and its card says nothing of members left out.
func TestGroupOfOneKindLeavesNothingOut(t *testing.T) {
	w := newWorld(t)
	b := w.newBot(t, w.bus, ops.Settings{Groups: map[string][]string{"etl": {"pipeline:orders-etl", "pipeline:billing"}}})
	r := propose(t, b, "pipeline pause @etl")
	require.Len(t, r.Targets(), 2)
	for _, f := range ops.CardOf(r).Fields {
		assert.NotEqual(t, "Not included", f.Label, "every member is a pipeline")
		assert.NotEmpty(t, f.Value, f.Label)
	}
}

// A group is refused where it cannot work, each time saying why.
func TestGroupCommandErrors(t *testing.T) {
	w := ordersWorld(t)
	api, _ := w.pauses(t, "", nil)
	b := w.startBot(t, w.bus, ordersTargets, w.ordersDeps(api))
	for text, want := range map[string]string{
		"pipeline pause @nosuch":             "there is no target group @nosuch. Groups: @jobs, @orders, @streams",
		"pipeline pause @streams":            "target group @streams has no pipeline for pipeline pause: it holds stream clickstream (es-1). Nothing was asked",
		"job stop @orders":                   "target group @orders has no job for job stop: it holds pipeline orders-etl (p-100), pipeline billing-agg (p-200), stream clickstream (es-1), pipeline clickstream-etl (p-300). Nothing was asked",
		"job switch @jobs now":               "job switch reads each job before its card is shown, so it takes one job at a time, not a target group (@jobs): ask for each job on its own. usage: job switch <job> [sink=<addr,...>] [now]",
		"job create @jobs template=kafka-dr": "job create makes one new job at a time, so it cannot take a target group (@jobs): give the new job's name. usage: job create <name> template=<t> [description=...]",
	} {
		_, err := b.svc.Handle(context.Background(), ops.Input{Text: text, User: "U-alice", Origin: ops.Origin{Frontend: "test"}})
		var bad *ops.InputError
		require.ErrorAs(t, err, &bad, text)
		assert.Equal(t, want, err.Error(), text)
	}
	open, err := b.svc.Pending(context.Background())
	require.NoError(t, err)
	assert.Empty(t, open, "nothing was asked")
}

// An alert rule's command on a group keys its ledger entry by the group,
// whatever its members: one target, "@orders", of the operation's kind.
func TestTargetOfAGroupIsTheGroup(t *testing.T) {
	w := ordersWorld(t)
	api, _ := w.pauses(t, "", nil)
	b := w.startBot(t, w.bus, ordersTargets, w.ordersDeps(api))
	got, err := b.svc.TargetOf("pipeline pause @orders")
	require.NoError(t, err)
	assert.Equal(t, "pipeline @orders", got.Key().String())
	_, err = b.svc.TargetOf("pipeline pause @nosuch")
	assert.Error(t, err)
	require.NoError(t, ops.KnownCommand("pipeline pause @orders", pipelines.Specs()))
}

// The audit trail's events of a group request name every target, and
// `history @orders` or a member's alias finds them.
func TestGroupEventsNameEveryTarget(t *testing.T) {
	e := ops.Event{
		Time: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), RequestID: "r-00a001", Op: "pipeline pause", State: ops.Pending,
		Target: ops.Target{Kind: "pipeline", Alias: "orders-etl", ID: "p-100"}, MoreTargets: []ops.Target{{Kind: "pipeline", ID: "p-300"}},
		Group: "orders", Requester: "U-alice", Origin: ops.Origin{Frontend: "console"},
	}
	assert.Equal(t, "2026-11-26 09:00:00Z  r-00a001  pending    pipeline pause @orders (2 pipelines): orders-etl (p-100), p-300, asked by U-alice via console", e.Line())
	for _, word := range []string{"@orders", "orders-etl", "p-300"} {
		assert.True(t, ops.OnTarget(word)(e), word)
	}
	assert.False(t, ops.OnTarget("@billing")(e))
	b, err := json.Marshal(ops.Event{Target: e.Target})
	require.NoError(t, err)
	assert.NotContains(t, string(b), "more_targets", "an event on one target is stored as before")
	assert.NotContains(t, string(b), "group")
}

// `history` and `timeline` take a target after its account, as commands
// do: only that account's target of the ID is meant.
func TestEventsNameATargetAfterItsAccount(t *testing.T) {
	e := ops.Event{RequestID: "r-00a002", Op: "job stop", Target: ops.Target{Account: "shanghai", Kind: "job", Alias: "orders-dr", ID: "j-1"}}
	for word, want := range map[string]bool{"shanghai/j-1": true, "shanghai/orders-dr": true, "j-1": true, "beijing/j-1": false} {
		assert.Equal(t, want, ops.OnTarget(word)(e), word)
	}
	assert.True(t, ops.OnTarget(ops.DefaultAccount+"/p-1")(ops.Event{Target: ops.Target{Kind: "pipeline", ID: "p-1"}}), "the default account's")
}

// A group of more targets than are called at once takes a round of calls
// per eight: its claims last, and another replica waits before calling it
// abandoned, abandon_after for each round; a claim also outlasts the wait
// for the group's other claims.
func TestLargeGroupIsGivenTimeForEachRoundOfCalls(t *testing.T) {
	w := newWorld(t)
	var pipes []enossim.Pipeline
	var ids []string
	for i := range 9 {
		id := fmt.Sprintf("p-%d", 101+i)
		pipes = append(pipes, enossim.Pipeline{ID: id, Name: id, Status: enos.StatusRunning})
		ids = append(ids, id)
	}
	w.sim = enossim.New(enossim.Config{Pipelines: pipes}, orgID, appKey, appSecret)
	hold := make(chan struct{})
	defer close(hold)
	api, calls := w.pauses(t, "", hold)
	deps := ops.Deps{Providers: []ops.Provider{pipelines.New(api)}}
	set := ops.Settings{CheckInterval: 10 * time.Millisecond}
	first := w.startBot(t, w.bus, set, deps)
	other := w.startBot(t, connect(t, bus.Config{URL: w.bus.ClientURL()}), set, deps)
	r := storeGroupRequest(t, w, ids...)

	go first.svc.Confirm(context.Background(), r.ID, "U-bob")
	waitExecuting(t, w, r.ID)
	inFlight := func() int {
		n := 0
		for _, id := range ids {
			n += calls(id)
		}
		return n
	}
	require.Eventually(t, func() bool { return inFlight() == 8 }, 15*time.Second, 5*time.Millisecond, "eight calls at once")
	assert.Zero(t, calls("p-109"), "the ninth waits for a call to end: all eight are held")
	c, held := claimOn(t, w, "pipeline.p-101")
	require.True(t, held)
	assert.Equal(t, 2*5*time.Minute+2*time.Minute+10*time.Second, c.Until.Sub(c.At), "two rounds of calls, the status check and target_wait")

	w.clock.Advance(6 * time.Minute) // past one abandon_after, within two
	other.svc.Sweep(context.Background())
	got, err := w.bus.Requests().Get(context.Background(), r.ID)
	require.NoError(t, err)
	assert.Equal(t, ops.Executing, got.State, "not yet abandoned: its second round of calls may still be running")

	w.clock.Advance(5 * time.Minute)
	other.svc.Sweep(context.Background())
	got, err = w.bus.Requests().Get(context.Background(), r.ID)
	require.NoError(t, err)
	assert.Equal(t, ops.Uncertain, got.State, "reported abandoned after abandon_after for each round")
	assert.Contains(t, got.Outcome.Summary, "each of its calls, on 9 pipelines: p-101, p-102, p-103", "every target is named as perhaps acted on")
}

// A group of eight targets, called all at once, is one round of calls: a
// bot that stopped mid-call is reported after one abandon_after.
func TestGroupOfEightIsOneRoundOfCalls(t *testing.T) {
	w := newWorld(t)
	b := w.newBot(t, w.bus, ops.Settings{AbandonAfter: 5 * time.Minute})
	ctx := context.Background()
	stored := storeGroupRequest(t, w, "p-101", "p-102", "p-103", "p-104", "p-105", "p-106", "p-107", "p-108")
	r, err := w.bus.Requests().Get(ctx, stored.ID)
	require.NoError(t, err)
	r.State, r.DecidedBy, r.DecidedAt = ops.Executing, "U-bob", w.clock.Now()
	_, err = w.bus.Requests().Update(ctx, r) // as the stopped bot left it
	require.NoError(t, err)

	w.clock.Advance(5 * time.Minute)
	b.svc.Sweep(ctx)
	got, err := w.bus.Requests().Get(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, ops.Uncertain, got.State, "reported abandoned after one abandon_after")
	assert.Contains(t, got.Outcome.Summary, "each of its calls, on 8 pipelines: p-101, p-102")
}

// trailOf is an audit trail of the events given.
type trailOf []ops.Event

func (tr trailOf) Events(context.Context, time.Time) ([]ops.Event, error) { return tr, nil }

// A group request's timeline names every target and gives each call its
// own line, as text and as Markdown; `timeline` on the group finds it.
func TestGroupTimelineNamesEachTargetAndCall(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	e := ops.Event{
		Time: at, RequestID: "r-00a001", Op: "pipeline pause", State: ops.Pending, Requester: "U-alice", Origin: ops.Origin{Frontend: "console"},
		Target: ops.Target{Kind: "pipeline", Alias: "orders-etl", ID: "p-100"}, MoreTargets: []ops.Target{{Kind: "pipeline", ID: "p-300"}},
		Group: "orders", Call: "orders-etl (p-100): " + callOf("p-100") + "\np-300: " + callOf("p-300"),
	}
	tl, err := ops.ReadTimeline(context.Background(), trailOf{e}, at.Add(-time.Hour), "target @orders", ops.OnTarget("@orders"))
	require.NoError(t, err)
	require.Len(t, tl.Requests, 1)
	assert.Equal(t, "r-00a001  pipeline pause @orders (2 pipelines): orders-etl (p-100), p-300\n"+
		"  call  orders-etl (p-100): "+callOf("p-100")+"\n"+
		"  call  p-300: "+callOf("p-300")+"\n"+
		"  2026-11-26 09:00:00Z  asked by U-alice via console", tl.Requests[0].Text())
	assert.Contains(t, tl.Markdown(), "- Call: `orders-etl (p-100): "+callOf("p-100")+"`\n- Call: `p-300: "+callOf("p-300")+"`\n")
}

// A read on a group reads each member of its kind, a line each; a member
// that cannot be read is said so on its line without hiding the others.
func TestGroupShowReadsEachMember(t *testing.T) {
	w := ordersWorld(t)
	api, _ := w.pauses(t, "", nil)
	set := ordersTargets
	set.Groups = map[string][]string{"orders": {"pipeline:orders-etl", "pipeline:p-404", "pipeline:billing-agg"}}
	b := w.startBot(t, w.bus, set, w.ordersDeps(api))

	reply, err := b.svc.Handle(context.Background(), ops.Input{Text: "pipeline show @orders", User: "U-alice", Origin: ops.Origin{Frontend: "test"}})
	require.NoError(t, err)
	lines := strings.Split(reply.Text, "\n")
	require.Len(t, lines, 3, reply.Text)
	assert.True(t, strings.HasPrefix(lines[0], "Pipeline orders-etl (p-100): RUNNING"), lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "pipeline show p-404 failed: "), lines[1])
	assert.True(t, strings.HasPrefix(lines[2], "Pipeline billing-agg (p-200): RUNNING"), lines[2])
}

// help names the groups, and the commands that take one target at a time.
func TestHelpNamesTheGroups(t *testing.T) {
	w := ordersWorld(t)
	api, _ := w.pauses(t, "", nil)
	b := w.startBot(t, w.bus, ordersTargets, w.ordersDeps(api))
	reply, err := b.svc.Handle(context.Background(), ops.Input{Text: "help", User: "U-alice", Origin: ops.Origin{Frontend: "test"}})
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(reply.Text, "\nA command on a target also takes a target group, and acts on its members of that kind at once: @jobs, @orders, @streams (job switch: one at a time)"), reply.Text)

	plain := w.startBot(t, w.bus, ops.Settings{Targets: ordersTargets.Targets}, w.ordersDeps(api))
	reply, err = plain.svc.Handle(context.Background(), ops.Input{Text: "help", User: "U-alice", Origin: ops.Origin{Frontend: "test"}})
	require.NoError(t, err)
	assert.NotContains(t, reply.Text, "target group", "no groups, no word of them")
}
