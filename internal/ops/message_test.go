package ops_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
)

// Where a card was posted is stored with its request, so a replica that
// never saw the post can update it.
func TestAttachMessageIsSeenByEveryReplica(t *testing.T) {
	w := newWorld(t)
	first := w.newBot(t, w.bus, ops.Settings{})
	second := w.newBot(t, w.bus, ops.Settings{})
	r := propose(t, first, "pipeline pause orders-etl")

	attached, err := first.svc.AttachMessage(context.Background(), r.ID, "C0INCIDENT", "1764500000.000100")
	require.NoError(t, err)
	assert.Equal(t, ops.Origin{Frontend: "test", Channel: "C0INCIDENT", Message: "1764500000.000100"}, attached.Origin)

	done, err := second.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	assert.Equal(t, ops.Succeeded, done.State)
	assert.Equal(t, "1764500000.000100", done.Origin.Message)
	assert.Equal(t, "1764500000.000100", nextNotice(t, second).Request.Origin.Message, "the follow-up knows the card too")
}

// A post that returns after someone already decided changes nothing: the
// outcome stored stays as it was.
func TestAttachMessageLeavesADecidedRequestAlone(t *testing.T) {
	w := newWorld(t)
	b := w.newBot(t, w.bus, ops.Settings{})
	r := propose(t, b, "pipeline pause orders-etl")
	done, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)

	got, err := b.svc.AttachMessage(context.Background(), r.ID, "C0INCIDENT", "1764500000.000100")
	require.NoError(t, err)
	assert.Equal(t, ops.Succeeded, got.State)
	assert.Empty(t, got.Origin.Message)
	assert.Equal(t, done.Outcome, got.Outcome)
	assert.EqualValues(t, 1, w.posts.Load())

	_, err = b.svc.AttachMessage(context.Background(), "r-000000", "C0INCIDENT", "1.2")
	assert.Error(t, err)
}

// starter records what a front end hears of a confirmed request.
type starter struct {
	mu      sync.Mutex
	started []ops.Request
	posts   func() int64
	before  []int64 // provider calls made when each Started was heard
}

func (s *starter) Notify(context.Context, ops.Notice) {}

func (s *starter) Started(_ context.Context, r ops.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.started = append(s.started, r)
	s.before = append(s.before, s.posts())
}

// A front end that is also a Starter hears of a confirmed request before
// its provider is called, so its card can say it is running.
func TestStarterHearsOfTheCallBeforeItIsMade(t *testing.T) {
	w := newWorld(t)
	st := &starter{posts: w.posts.Load}
	svc, err := ops.New(settings(ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}}}), ops.Deps{
		Store: w.bus.Requests(), Claims: w.bus.Claims(), Events: w.bus.Events(), FrontEnds: notifying(st), Now: w.clock.Now,
		Providers: []ops.Provider{pipelines.New(enos.New(w.url, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}))},
	})
	require.NoError(t, err)
	t.Cleanup(func() { svc.Wait(context.Background()) })
	reply, err := svc.Handle(context.Background(), ops.Input{Text: "pipeline pause orders-etl", User: "U-alice", Origin: ops.Origin{Frontend: "test"}})
	require.NoError(t, err)
	_, err = svc.Confirm(context.Background(), reply.Request.ID, "U-bob")
	require.NoError(t, err)

	st.mu.Lock()
	defer st.mu.Unlock()
	require.Len(t, st.started, 1)
	assert.Equal(t, ops.Executing, st.started[0].State)
	assert.Equal(t, "U-bob", st.started[0].DecidedBy)
	assert.Equal(t, []int64{0}, st.before)
}
