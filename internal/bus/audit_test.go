package bus

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
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
