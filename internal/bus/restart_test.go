package bus

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
)

// The index of open requests follows the bucket across a restart of the
// server: what was written before and after is in it.
func TestOpenAfterTheServerRestarts(t *testing.T) {
	dir := t.TempDir()
	opts := &server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true}
	srv, err := server.NewServer(opts)
	require.NoError(t, err)
	srv.Start()
	require.True(t, srv.ReadyForConnections(waitFor))
	opts.Port = srv.Addr().(*net.TCPAddr).Port
	b := connectBus(t, srv.ClientURL())
	ctx := testContext(t)
	_, err = b.Requests().Create(ctx, pendingRequest("r-0000a1"))
	require.NoError(t, err)

	srv.Shutdown()
	srv.WaitForShutdown()
	srv, err = server.NewServer(opts)
	require.NoError(t, err)
	srv.Start()
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	require.True(t, srv.ReadyForConnections(waitFor))
	require.Eventually(t, func() bool { return b.Conn().IsConnected() }, waitFor, 10*time.Millisecond)

	var open []ops.Request
	require.Eventually(t, func() bool {
		_, err := b.Requests().Create(ctx, pendingRequest("r-0000a2"))
		if err != nil && !errors.Is(err, ops.ErrExists) {
			return false
		}
		open, err = b.Requests().Open(ctx)
		return err == nil && len(open) == 2
	}, 15*time.Second, 100*time.Millisecond, "open requests after the restart: %v", open)
}
