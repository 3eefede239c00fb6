package bus

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
)

func TestClaimsAreExclusive(t *testing.T) {
	ctx := testContext(t)
	first := startEmbeddedBus(t, t.TempDir())
	second := connectBus(t, first.ClientURL())
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	c := ops.Claim{Request: "r-000001", At: at, Until: at.Add(time.Minute)}

	rev, err := first.Claims().CreateClaim(ctx, "job.j-1", c)
	require.NoError(t, err)
	_, err = second.Claims().CreateClaim(ctx, "job.j-1", ops.Claim{Request: "r-000002"})
	require.ErrorIs(t, err, ops.ErrExists, "another replica cannot take a held target")

	got, gotRev, err := second.Claims().GetClaim(ctx, "job.j-1")
	require.NoError(t, err)
	assert.Equal(t, c, got)
	assert.Equal(t, rev, gotRev)

	taken, err := second.Claims().ReplaceClaim(ctx, "job.j-1", ops.Claim{Request: "r-000002"}, rev)
	require.NoError(t, err, "a lapsed claim is taken over at its revision")
	_, err = first.Claims().ReplaceClaim(ctx, "job.j-1", ops.Claim{Request: "r-000003"}, rev)
	require.ErrorIs(t, err, ops.ErrConflict, "only one replica takes it over")
	require.ErrorIs(t, first.Claims().DeleteClaim(ctx, "job.j-1", rev), ops.ErrConflict, "the old holder cannot release the new one's claim")

	require.NoError(t, second.Claims().DeleteClaim(ctx, "job.j-1", taken))
	_, _, err = first.Claims().GetClaim(ctx, "job.j-1")
	require.ErrorIs(t, err, ops.ErrNotFound)
	_, err = first.Claims().CreateClaim(ctx, "job.j-1", c)
	require.NoError(t, err, "a released target can be claimed again")
}

// A watch on one claim wakes its waiter on each write and release made by
// any replica.
func TestWatchClaimSignalsChanges(t *testing.T) {
	ctx := testContext(t)
	first := startEmbeddedBus(t, t.TempDir())
	second := connectBus(t, first.ClientURL())
	changed, err := first.Claims().WatchClaim(ctx, "job.j-1")
	require.NoError(t, err)
	next := func(what string) {
		t.Helper()
		select {
		case <-changed:
		case <-time.After(10 * time.Second):
			t.Fatalf("no signal for %s", what)
		}
	}

	rev, err := second.Claims().CreateClaim(ctx, "job.j-1", ops.Claim{Request: "r-000001"})
	require.NoError(t, err)
	next("the claim taken")
	rev, err = second.Claims().ReplaceClaim(ctx, "job.j-1", ops.Claim{Request: "r-000002"}, rev)
	require.NoError(t, err)
	next("the claim taken over")
	require.NoError(t, second.Claims().DeleteClaim(ctx, "job.j-1", rev))
	next("the claim released")
}
