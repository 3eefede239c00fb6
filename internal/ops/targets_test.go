package ops_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/sandbox/enossim"
)

// storedBeforeAccounts is a request as the bot stored it before targets
// had accounts: its target has no "account".
const storedBeforeAccounts = `{"id":"r-0a1b2c","op":"pipeline pause",` +
	`"target":{"kind":"pipeline","alias":"orders-etl","id":"p-100","provider":"EnOS","scope":"org o-test"},` +
	`"text":"pipeline pause orders-etl","call":"EnOS POST /streaming/v2.0/streaming/pipeline/p-100?action=pause\u0026orgId=o-test",` +
	`"requester":"U-alice","origin":{"frontend":"slack","channel":"C0OPS","message":"1764147600.000100"},` +
	`"state":"pending","created_at":"2026-11-26T09:00:00Z","expires_at":"2026-11-26T09:10:00Z"}`

// pausesOf is an EnOS, the world's simulator behind it, that counts the
// pause calls per pipeline and holds them until release is called; tests
// defer release.
func (w *world) pausesOf(t *testing.T) (api *enos.Client, calls func(id string) int, release func()) {
	hold := make(chan struct{})
	api, calls = w.pauses(t, "", hold)
	return api, calls, sync.OnceFunc(func() { close(hold) })
}

func claimOn(t *testing.T, w *world, key string) (ops.Claim, bool) {
	t.Helper()
	c, _, err := w.bus.Claims().GetClaim(context.Background(), key)
	if err != nil {
		require.ErrorIs(t, err, ops.ErrNotFound)
		return ops.Claim{}, false
	}
	return c, true
}

func waitExecuting(t *testing.T, w *world, id string) {
	t.Helper()
	require.Eventually(t, func() bool {
		r, err := w.bus.Requests().Get(context.Background(), id)
		return err == nil && r.State == ops.Executing
	}, 15*time.Second, 5*time.Millisecond)
}

// A request stored before targets had accounts loads as one on the default
// account, is confirmed under the claim key it always had, and is stored
// again without an account.
func TestRequestStoredBeforeAccountsIsConfirmedAsBefore(t *testing.T) {
	w := newWorld(t)
	api, calls, release := w.pausesOf(t)
	defer release()
	b := w.startBot(t, w.bus, ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}}, CheckInterval: 10 * time.Millisecond},
		ops.Deps{Providers: []ops.Provider{pipelines.New(api)}})
	ctx := context.Background()
	js, err := jetstream.New(w.bus.Conn())
	require.NoError(t, err)
	kv, err := js.KeyValue(ctx, bus.RequestsBucket)
	require.NoError(t, err)
	_, err = kv.Create(ctx, "r-0a1b2c", []byte(storedBeforeAccounts))
	require.NoError(t, err)

	r, err := b.svc.Lookup(ctx, "r-0a1b2c")
	require.NoError(t, err)
	assert.Equal(t, ops.TargetKey{Account: ops.DefaultAccount, Kind: "pipeline", ID: "p-100"}, r.Target.Key())
	assert.Equal(t, []ops.Target{r.Target}, r.Targets())

	done := make(chan ops.Request, 1)
	go func() {
		r, err := b.svc.Confirm(ctx, "r-0a1b2c", "U-bob")
		assert.NoError(t, err)
		done <- r
	}()
	waitExecuting(t, w, "r-0a1b2c")
	c, held := claimOn(t, w, "pipeline.p-100")
	require.True(t, held, "claimed under the key claims had before accounts")
	assert.Equal(t, "r-0a1b2c", c.Request)
	release()
	got := <-done
	assert.Equal(t, ops.Succeeded, got.State)
	assert.Equal(t, 1, calls("p-100"))
	assert.Regexp(t, `^pipeline orders-etl \(p-100\) is PAUSED after `, nextNotice(t, b).Text)

	e, err := kv.Get(ctx, "r-0a1b2c")
	require.NoError(t, err)
	var stored map[string]any
	require.NoError(t, json.Unmarshal(e.Value(), &stored))
	assert.NotContains(t, stored["target"], "account", "stored as before")
	assert.NotContains(t, stored, "outcomes", "one target's outcome is the request's, as before")
}

// During a rolling upgrade a claim taken by a bot of the version before
// accounts still keeps this version off its target; a claim in one account
// does not hold the same ID in another.
func TestClaimOfTheVersionBeforeAccountsStillHolds(t *testing.T) {
	w := newWorld(t)
	api := enos.New(w.url, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret})
	b := w.startBot(t, w.bus, ops.Settings{
		Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}}, TargetWait: 200 * time.Millisecond, CheckInterval: 10 * time.Millisecond,
	}, ops.Deps{Providers: []ops.Provider{pipelines.Accounts(pipelines.Account{Name: ops.DefaultAccount, API: api}, pipelines.Account{Name: "enos-eu", API: api})}})
	ctx := context.Background()
	first := propose(t, b, "pipeline pause orders-etl")
	second := propose(t, b, "pipeline stop orders-etl")
	now := w.clock.Now()
	_, err := w.bus.Claims().CreateClaim(ctx, "pipeline.p-100", ops.Claim{Request: first.ID, At: now, Until: now.Add(7 * time.Minute)})
	require.NoError(t, err)

	got, err := b.svc.Confirm(ctx, second.ID, "U-carol")
	require.Error(t, err)
	assert.Equal(t, fmt.Sprintf("pipeline orders-etl (p-100) is busy with %s (pipeline pause, confirmed by someone), still running or being checked: nothing was done for %s, which is still pending. Confirm it again once %s has finished; a switchover is read again then.",
		first.ID, second.ID, first.ID), err.Error())
	assert.Equal(t, ops.Pending, got.State)
	assert.Zero(t, w.posts.Load(), "nothing called")

	elsewhere := ops.Request{
		ID: "r-0e0e01", Op: "pipeline stop", Text: "pipeline stop p-100", Requester: "U-alice", Origin: ops.Origin{Frontend: "test"},
		Target: ops.Target{Account: "enos-eu", Kind: "pipeline", ID: "p-100", Provider: pipelines.Provider, Scope: "org o-test"},
		State:  ops.Pending, CreatedAt: now, ExpiresAt: now.Add(time.Minute),
	}
	_, err = w.bus.Requests().Create(ctx, elsewhere)
	require.NoError(t, err)
	done, err := b.svc.Confirm(ctx, elsewhere.ID, "U-carol")
	require.NoError(t, err, "p-100 of another account is another target")
	assert.Equal(t, ops.Succeeded, done.State)
	assert.Contains(t, nextNotice(t, b).Text, "is STOPPED")
}

// groupWorld is a world whose simulator runs three pipelines, and a request
// on two of them, made as a front end will make one for a group.
func groupWorld(t *testing.T) *world {
	w := newWorld(t)
	w.sim = enossim.New(enossim.Config{Pipelines: []enossim.Pipeline{
		{ID: "p-100", Name: "orders-etl", Status: enos.StatusRunning},
		{ID: "p-200", Name: "billing", Status: enos.StatusStopped},
		{ID: "p-300", Name: "clickstream", Status: enos.StatusRunning},
	}}, orgID, appKey, appSecret)
	return w
}

func storeGroupRequest(t *testing.T, w *world, ids ...string) ops.Request {
	t.Helper()
	now := w.clock.Now()
	r := ops.Request{
		ID: "r-00a001", Op: "pipeline pause", Text: "pipeline pause @orders", Requester: "U-alice", Origin: ops.Origin{Frontend: "test"},
		State: ops.Pending, CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute),
	}
	var targets []ops.Target
	for _, id := range ids {
		targets = append(targets, ops.Target{Kind: "pipeline", ID: id, Provider: pipelines.Provider, Scope: "org o-test"})
	}
	r.Target, r.MoreTargets = targets[0], targets[1:]
	_, err := w.bus.Requests().Create(context.Background(), r)
	require.NoError(t, err)
	return r
}

// A request on two targets claims both, calls each once, and has an
// outcome and a status follow-up per target.
func TestRequestOnTwoTargetsCallsEachOnce(t *testing.T) {
	w := groupWorld(t)
	api, calls, release := w.pausesOf(t)
	defer release()
	b := w.startBot(t, w.bus, ops.Settings{CheckInterval: 10 * time.Millisecond}, ops.Deps{Providers: []ops.Provider{pipelines.New(api)}})
	r := storeGroupRequest(t, w, "p-300", "p-100")
	done := make(chan ops.Request, 1)
	go func() {
		r, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
		assert.NoError(t, err)
		done <- r
	}()
	waitExecuting(t, w, r.ID)
	for _, key := range []string{"pipeline.p-100", "pipeline.p-300"} {
		c, held := claimOn(t, w, key)
		require.True(t, held, key)
		assert.Equal(t, r.ID, c.Request, key)
	}
	release()
	got := <-done
	assert.Equal(t, ops.Succeeded, got.State)
	assert.Equal(t, 1, calls("p-100"))
	assert.Equal(t, 1, calls("p-300"))
	require.Len(t, got.Outcomes, 2)
	for i, id := range []string{"p-300", "p-100"} {
		o := got.Outcomes[i]
		assert.Equal(t, id, o.Target.ID)
		assert.Nil(t, o.Outcome.Error)
		assert.Equal(t, fmt.Sprintf("Paused pipeline %s: job ID %s, request ID %s", id, id, o.Outcome.RequestID), o.Outcome.Summary)
	}
	require.NotNil(t, got.Outcome)
	assert.Equal(t, got.Outcomes[0].Outcome.Summary+"\n"+got.Outcomes[1].Outcome.Summary, got.Outcome.Summary)
	followUps := []string{nextNotice(t, b).Text, nextNotice(t, b).Text}
	slices.Sort(followUps)
	assert.Regexp(t, `^pipeline p-100 is PAUSED after `, followUps[0])
	assert.Regexp(t, `^pipeline p-300 is PAUSED after `, followUps[1])
	stored, err := w.bus.Requests().Get(context.Background(), r.ID)
	require.NoError(t, err)
	assert.Equal(t, got.Outcomes, stored.Outcomes)
	require.Eventually(t, func() bool {
		_, held100 := claimOn(t, w, "pipeline.p-100")
		_, held300 := claimOn(t, w, "pipeline.p-300")
		return !held100 && !held300
	}, 15*time.Second, 5*time.Millisecond, "both released once their status is known")
}

// One failing target of two does not hide the other's success: the
// request failed, and each target has its own outcome.
func TestRequestOnTwoTargetsKeepsEachOutcome(t *testing.T) {
	w := groupWorld(t)
	b := w.newBot(t, w.bus, ops.Settings{})
	r := storeGroupRequest(t, w, "p-100", "p-200")
	got, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	assert.Equal(t, ops.Failed, got.State)
	assert.EqualValues(t, 2, w.posts.Load())
	require.Len(t, got.Outcomes, 2)
	assert.Nil(t, got.Outcomes[0].Outcome.Error)
	require.NotNil(t, got.Outcomes[1].Outcome.Error)
	assert.Contains(t, got.Outcomes[1].Outcome.Summary, "Could not pause pipeline p-200")
	assert.Equal(t, got.Outcomes[1].Outcome.Error, got.Outcome.Error)
	assert.Regexp(t, `^pipeline p-100 is PAUSED after `, nextNotice(t, b).Text, "only the target that was paused is checked")
}

// If one target of a request is busy with another request, neither is
// called, the other is not kept, and the person is told which one.
func TestRequestOnTwoTargetsWithOneBusyCallsNeither(t *testing.T) {
	w := groupWorld(t)
	api, calls, release := w.pausesOf(t)
	defer release()
	b := w.startBot(t, w.bus, ops.Settings{TargetWait: 200 * time.Millisecond, CheckInterval: 10 * time.Millisecond}, ops.Deps{Providers: []ops.Provider{pipelines.New(api)}})
	busy := propose(t, b, "pipeline pause p-300")
	go b.svc.Confirm(context.Background(), busy.ID, "U-bob")
	waitExecuting(t, w, busy.ID)

	r := storeGroupRequest(t, w, "p-100", "p-300")
	got, err := b.svc.Confirm(context.Background(), r.ID, "U-carol")
	require.Error(t, err)
	assert.Equal(t, fmt.Sprintf("pipeline p-300 is busy with %s (pipeline pause, confirmed by U-bob), still running or being checked: nothing was done for %s, which is still pending. Confirm it again once %s has finished; a switchover is read again then.",
		busy.ID, r.ID, busy.ID), err.Error())
	assert.Equal(t, ops.Pending, got.State)
	assert.Zero(t, calls("p-100"), "the free target is not called either")
	_, held := claimOn(t, w, "pipeline.p-100")
	assert.False(t, held, "the free target's claim is given back")
	release()
	assert.Contains(t, nextNotice(t, b).Text, "pipeline p-300 is PAUSED")
	assert.Equal(t, 1, calls("p-300"))
}
