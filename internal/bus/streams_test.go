package bus

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
)

// A full audit stream drops its oldest events and takes new ones: the bot
// keeps working, and the stream stays within its bound.
func TestAFullAuditStreamDropsItsOldestEvents(t *testing.T) {
	ctx := testContext(t)
	const limit = 64 << 10
	b, err := Connect(ctx, Config{Listen: "127.0.0.1:-1", StoreDir: t.TempDir(), AuditMaxBytes: limit}, testLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { b.Close(ctx) })

	r := pendingRequest("r-a0d170")
	note := strings.Repeat("x", 900)
	for i := range 400 { // about 400 KiB: six times the bound
		e := ops.Event{Time: time.Now(), RequestID: fmt.Sprintf("r-%06x", i), Op: r.Op, Target: r.Target, State: ops.Checked, Note: note}
		require.NoError(t, b.Events().Publish(ctx, e), "event %d", i)
	}
	stored, max, err := b.StreamFill(ctx, AuditStream)
	require.NoError(t, err)
	assert.Equal(t, int64(limit), max)
	assert.LessOrEqual(t, stored, uint64(limit))
	assert.Greater(t, stored, uint64(limit/2), "full, not emptied")

	events, err := b.Audit().Events(ctx, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.NotEmpty(t, events)
	assert.NotEqual(t, "r-000000", events[0].RequestID, "the oldest went first")
	assert.Equal(t, "r-00018f", events[len(events)-1].RequestID, "the newest is kept")
}

// The configured sizes reach the streams, also on a stream made before with
// another size (as after an upgrade), and both drop the oldest when full.
func TestStreamsTakeTheConfiguredSize(t *testing.T) {
	ctx := testContext(t)
	dir := t.TempDir()
	b, err := Connect(ctx, Config{Listen: "127.0.0.1:-1", StoreDir: dir}, testLogger(t))
	require.NoError(t, err)
	_, max, err := b.StreamFill(ctx, AuditStream)
	require.NoError(t, err)
	assert.Equal(t, int64(DefaultAuditMaxBytes), max)
	in := Ingest{Subjects: []string{"alerts.>"}, DeadLetter: "alerts.dead", Retention: time.Hour, MaxDeliver: 5}
	require.NoError(t, b.EnsureAlertsStream(ctx, in))
	_, max, err = b.StreamFill(ctx, AlertsStream)
	require.NoError(t, err)
	assert.Equal(t, int64(DefaultAlertsMaxBytes), max)
	require.NoError(t, b.Close(ctx))

	b, err = Connect(ctx, Config{Listen: "127.0.0.1:-1", StoreDir: dir, AuditMaxBytes: 2 << 20}, testLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { b.Close(ctx) })
	in.MaxBytes = 16 << 20
	require.NoError(t, b.EnsureAlertsStream(ctx, in))
	js, err := jetstream.New(b.Conn())
	require.NoError(t, err)
	for name, want := range map[string]int64{AuditStream: 2 << 20, AlertsStream: 16 << 20} {
		s, err := js.Stream(ctx, name)
		require.NoError(t, err)
		assert.Equal(t, want, s.CachedInfo().Config.MaxBytes, name)
		assert.Equal(t, jetstream.DiscardOld, s.CachedInfo().Config.Discard, name)
	}
}
