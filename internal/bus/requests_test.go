package bus

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
)

func TestRequestsRoundTrip(t *testing.T) {
	ctx := testContext(t)
	store := startEmbeddedBus(t, t.TempDir()).Requests()

	empty, err := store.Open(ctx)
	require.NoError(t, err)
	assert.Empty(t, empty)

	want := pendingRequest("r-7f3a9c")
	rev, err := store.Create(ctx, want)
	require.NoError(t, err)
	assert.NotZero(t, rev)

	got, err := store.Get(ctx, want.ID)
	require.NoError(t, err)
	want.Revision = rev
	assert.Equal(t, want, got)

	got.State = ops.Succeeded
	got.DecidedBy = "U456"
	got.DecidedAt = got.CreatedAt.Add(time.Minute)
	got.Outcome = &ops.Outcome{Summary: "Paused pipeline orders-etl (p-123)", JobID: "p-123", RequestID: "2a1c"}
	rev2, err := store.Update(ctx, got)
	require.NoError(t, err)
	assert.Greater(t, rev2, rev)

	updated, err := store.Get(ctx, want.ID)
	require.NoError(t, err)
	got.Revision = rev2
	assert.Equal(t, got, updated)

	older := pendingRequest("r-000003")
	older.CreatedAt = want.CreatedAt.Add(-time.Hour)
	_, err = store.Create(ctx, older)
	require.NoError(t, err)
	_, err = store.kv.Put(ctx, "not-a-request", []byte("hello")) // by hand, with the nats CLI
	require.NoError(t, err)

	open, err := store.Open(ctx)
	require.NoError(t, err)
	require.Len(t, open, 1, "the succeeded request is not open; the value put by hand is skipped")
	assert.Equal(t, "r-000003", open[0].ID)

	newer := pendingRequest("r-000004")
	newer.CreatedAt = want.CreatedAt.Add(time.Hour)
	_, err = store.Create(ctx, newer)
	require.NoError(t, err)
	open, err = store.Open(ctx)
	require.NoError(t, err, "Open includes this process's own writes at once")
	require.Len(t, open, 2)
	assert.Equal(t, []string{"r-000003", "r-000004"}, []string{open[0].ID, open[1].ID}, "oldest first")
}

func TestOpenIndexFollowsOtherReplicas(t *testing.T) {
	ctx := testContext(t)
	dir := t.TempDir()
	first := startEmbeddedBus(t, dir)
	second := connectBus(t, first.ClientURL())

	_, err := first.Requests().Create(ctx, pendingRequest("r-00000a"))
	require.NoError(t, err)
	open, err := second.Requests().Open(ctx)
	require.NoError(t, err)
	require.Len(t, open, 1, "a request another replica made before the call is in it")

	r := open[0]
	require.NoError(t, err)
	r.State = ops.Expired
	_, err = second.Requests().Update(ctx, r)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		open, err := first.Requests().Open(ctx)
		return err == nil && len(open) == 0
	}, waitFor, 10*time.Millisecond, "a request another replica ended leaves the index")

	_, err = first.Requests().Create(ctx, pendingRequest("r-00000b"))
	require.NoError(t, err)
	require.NoError(t, first.Requests().kv.Purge(ctx, "r-00000b"))
	require.Eventually(t, func() bool {
		open, err := second.Requests().Open(ctx)
		return err == nil && len(open) == 0
	}, waitFor, 10*time.Millisecond, "a purged request leaves the index")
}

func TestOpenIndexAfterRestart(t *testing.T) {
	ctx := testContext(t)
	dir := t.TempDir()
	before := startEmbeddedBus(t, dir)
	for i, state := range []ops.State{ops.Pending, ops.Executing, ops.Succeeded, ops.Uncertain} {
		r := pendingRequest(fmt.Sprintf("r-00001%d", i))
		r.State = state
		_, err := before.Requests().Create(ctx, r)
		require.NoError(t, err)
	}
	require.NoError(t, before.Close(ctx))

	after := startEmbeddedBus(t, dir)
	open, err := after.Requests().Open(ctx)
	require.NoError(t, err)
	var states []ops.State
	for _, r := range open {
		states = append(states, r.State)
	}
	assert.ElementsMatch(t, []ops.State{ops.Pending, ops.Executing}, states, "the index is built from what the bucket holds")
}

func TestRequestsErrors(t *testing.T) {
	ctx := testContext(t)
	store := startEmbeddedBus(t, t.TempDir()).Requests()
	r := pendingRequest("r-aaaaaa")
	rev, err := store.Create(ctx, r)
	require.NoError(t, err)

	t.Run("create twice", func(t *testing.T) {
		_, err := store.Create(ctx, r)
		assert.ErrorIs(t, err, ops.ErrExists)
	})
	t.Run("update at a stale revision", func(t *testing.T) {
		current := r
		current.Revision = rev
		current.State = ops.Cancelled
		_, err := store.Update(ctx, current)
		require.NoError(t, err)

		stale := r
		stale.Revision = rev
		stale.State = ops.Executing
		_, err = store.Update(ctx, stale)
		assert.ErrorIs(t, err, ops.ErrConflict)
	})
	t.Run("update without a revision", func(t *testing.T) {
		_, err := store.Update(ctx, r)
		require.Error(t, err)
		assert.NotErrorIs(t, err, ops.ErrConflict)
	})
	t.Run("update a request that is gone", func(t *testing.T) {
		gone := pendingRequest("r-bbbbbb")
		gone.Revision = rev
		_, err := store.Update(ctx, gone)
		assert.ErrorIs(t, err, ops.ErrNotFound)
	})
	for _, id := range []string{"r-ffffff", "", "r-*", "r 1"} {
		t.Run("get unknown "+id, func(t *testing.T) {
			_, err := store.Get(ctx, id)
			assert.ErrorIs(t, err, ops.ErrNotFound)
		})
	}
}
