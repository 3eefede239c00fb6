package bus

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
)

func TestEventsPublish(t *testing.T) {
	ctx := testContext(t)
	b := startEmbeddedBus(t, t.TempDir())

	listener, err := nats.Connect(b.ClientURL())
	require.NoError(t, err)
	t.Cleanup(listener.Close)
	sub, err := listener.SubscribeSync(EventSubjects)
	require.NoError(t, err)
	require.NoError(t, listener.Flush()) // the subscription is in place before publishing

	r := pendingRequest("r-7f3a9c")
	want := ops.Event{
		Time:      time.Date(2025, 3, 4, 10, 1, 0, 0, time.UTC),
		RequestID: r.ID,
		Op:        r.Op,
		Target:    r.Target,
		From:      ops.Pending,
		State:     ops.Executing,
		Actor:     "U456",
		Requester: r.Requester,
		Origin:    r.Origin,
	}
	require.NoError(t, b.Events().Publish(ctx, want))

	msg, err := sub.NextMsg(waitFor)
	require.NoError(t, err)
	assert.Equal(t, "streamops.events.executing", msg.Subject)
	var got ops.Event
	require.NoError(t, json.Unmarshal(msg.Data, &got))
	assert.Equal(t, want, got)
}

func TestEventsPublishRefuses(t *testing.T) {
	ctx := testContext(t)
	b := startEmbeddedBus(t, t.TempDir())

	for _, state := range []ops.State{"", "a.b", "*", ">", "two words"} {
		err := b.Events().Publish(ctx, ops.Event{RequestID: "r-7f3a9c", State: state})
		assert.ErrorContains(t, err, "subject token", "state %q", state)
	}

	require.NoError(t, b.Close(ctx))
	err := b.Events().Publish(ctx, ops.Event{RequestID: "r-7f3a9c", State: ops.Cancelled})
	assert.ErrorIs(t, err, nats.ErrConnectionClosed)
}

// Watch hands over every replica's events as they are published, and skips
// what does not decode.
func TestEventsWatch(t *testing.T) {
	ctx := testContext(t)
	a := startEmbeddedBus(t, t.TempDir())
	b := connectBus(t, a.ClientURL())
	got := make(chan ops.Event, 4)
	stop, err := b.Events().Watch(func(e ops.Event) { got <- e })
	require.NoError(t, err)

	require.NoError(t, a.Conn().Publish(EventSubject(ops.Pending), []byte(`{"request_id":`)))
	require.NoError(t, a.Conn().Publish(EventSubject(ops.Pending), []byte(`[1,2]`)))
	want := ops.Event{Time: time.Date(2025, 3, 4, 10, 1, 0, 0, time.UTC), RequestID: "r-7f3a9c", Op: "pipeline pause", State: ops.Pending, Requester: "U123"}
	require.NoError(t, a.Events().Publish(ctx, want))
	select {
	case e := <-got:
		assert.Equal(t, want, e)
	case <-time.After(waitFor):
		t.Fatal("the event never came")
	}
	require.NoError(t, stop())
	require.NoError(t, a.Events().Publish(ctx, want))
	require.NoError(t, a.Conn().Flush())
	require.NoError(t, b.Conn().Flush())
	assert.Empty(t, got, "nothing after stop, and nothing that did not decode")
}
