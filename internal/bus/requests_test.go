package bus

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
)

func TestRequestsRoundTrip(t *testing.T) {
	ctx := testContext(t)
	store := startEmbeddedBus(t, t.TempDir()).Requests()

	empty, err := store.List(ctx)
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

	all, err := store.List(ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Equal(t, "r-000003", all[0].ID, "oldest first")
	assert.Equal(t, updated, all[1])
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
