package bus

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/testwait"
)

func TestAuditStreamKeepsEventsForTheRetention(t *testing.T) {
	ctx := testContext(t)
	dir := t.TempDir()
	b, err := Connect(ctx, Config{Listen: "127.0.0.1:-1", StoreDir: dir, AuditRetention: 48 * time.Hour}, testLogger(t))
	require.NoError(t, err)

	js, err := jetstream.New(b.Conn())
	require.NoError(t, err)
	s, err := js.Stream(ctx, AuditStream)
	require.NoError(t, err)
	assert.Equal(t, 48*time.Hour, s.CachedInfo().Config.MaxAge)
	assert.Equal(t, []string{"streamops.events.>"}, s.CachedInfo().Config.Subjects)

	events, err := b.Audit().Events(ctx, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	assert.Empty(t, events, "an empty trail reads as nothing, at once")

	r := pendingRequest("r-a0d170")
	at := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	want := []ops.Event{
		{Time: at, RequestID: r.ID, Op: r.Op, Target: r.Target, State: ops.Pending, Actor: "U1", Requester: "U1", Origin: r.Origin},
		{Time: at.Add(time.Second), RequestID: r.ID, Op: r.Op, Target: r.Target, From: ops.Pending, State: ops.Executing, Actor: "U2", Requester: "U1", Origin: r.Origin},
		{Time: at.Add(2 * time.Second), RequestID: r.ID, Op: r.Op, Target: r.Target, From: ops.Executing, State: ops.Succeeded, Actor: "U2", Requester: "U1", Origin: r.Origin,
			Outcome: &ops.Outcome{Summary: "Paused", JobID: "p-123", RequestID: "prov-1"}},
		{Time: at.Add(3 * time.Second), RequestID: r.ID, Op: r.Op, Target: r.Target, From: ops.Succeeded, State: ops.Checked, Requester: "U1", Origin: r.Origin, Note: "PAUSED"},
	}
	for _, e := range want {
		require.NoError(t, b.Events().Publish(ctx, e))
	}
	// Something else published there is kept but not taken for an event.
	require.NoError(t, b.Conn().Publish("streamops.events.other", []byte("not json")))
	require.NoError(t, b.Conn().Flush())
	require.NoError(t, b.Close(ctx))

	// After a restart, the trail reads back in order.
	again := startEmbeddedBus(t, dir)
	require.Eventually(t, func() bool {
		got, err := again.Audit().Events(ctx, time.Now().Add(-time.Hour))
		return err == nil && len(got) == len(want)
	}, waitFor, 10*time.Millisecond)
	got, err := again.Audit().Events(ctx, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	assert.Equal(t, want, got)

	later, err := again.Audit().Events(ctx, time.Now().Add(time.Minute))
	require.NoError(t, err)
	assert.Empty(t, later, "since is when the events were stored")
}

// Stored requests and events from before the rename still read the
// provider's request ID.
func TestOutcomeReadsTheOldRequestIDKey(t *testing.T) {
	var o ops.Outcome
	require.NoError(t, jsonUnmarshal(`{"summary":"ok","request_id":"old","error":{"message":"m","request_id":"olderr"}}`, &o))
	assert.Equal(t, "old", o.RequestID)
	assert.Equal(t, "olderr", o.Error.RequestID)
	require.NoError(t, jsonUnmarshal(`{"summary":"ok","provider_request_id":"new"}`, &o))
	assert.Equal(t, "new", o.RequestID)
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// A full audit stream drops its oldest events and takes new ones: the bot
// keeps working, and the stream stays within its bound.
func TestAFullAuditStreamDropsItsOldestEvents(t *testing.T) {
	ctx := testContext(t)
	const limit = 64 << 10
	b, err := Connect(ctx, Config{Listen: "127.0.0.1:-1", StoreDir: testwait.Dir(t), AuditMaxBytes: limit}, testLogger(t))
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

// A bound the server has no room for is refused at start, saying which key
// to lower.
func TestAStreamBoundTooBigForTheServerSaysWhatToDo(t *testing.T) {
	ctx := testContext(t)
	_, err := Connect(ctx, Config{Listen: "127.0.0.1:-1", StoreDir: testwait.Dir(t), AuditMaxBytes: 1 << 60}, testLogger(t))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lower audit.max_bytes, or give its JetStream more storage")
}
