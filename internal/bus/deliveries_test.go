package bus

import (
	"context"
	"github.com/streamops/streamops/internal/testwait"
	"log/slog"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A delivery is taken once across connections, for DeliveryMemory; keys of
// any size and bytes are fine.
func TestDeliveriesAreTakenOnceAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	first, err := Connect(ctx, Config{Listen: "127.0.0.1:-1", StoreDir: testwait.Dir(t)}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { first.Close(ctx) })
	second, err := Connect(ctx, Config{URL: first.ClientURL()}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { second.Close(ctx) })

	for _, key := range []string{"socket 7a8b-envelope", "/slack/commands\ntoken=x&text=pipeline+pause+" + strings.Repeat("é *>.", 5000)} {
		ok, err := first.Deliveries().First(ctx, key)
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = second.Deliveries().First(ctx, key)
		require.NoError(t, err)
		assert.False(t, ok, "the other replica took it")
		ok, err = first.Deliveries().First(ctx, key)
		require.NoError(t, err)
		assert.False(t, ok, "and this one too")
	}

	js, err := jetstream.New(first.Conn())
	require.NoError(t, err)
	kv, err := js.KeyValue(ctx, DeliveriesBucket)
	require.NoError(t, err)
	st, err := kv.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, DeliveryMemory, st.TTL())
}
