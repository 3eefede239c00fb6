package bus

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/testwait"
)

// waitFor bounds every wait in these tests; nothing sleeps.
const waitFor = 10 * time.Second

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), waitFor)
	t.Cleanup(cancel)
	return ctx
}

// startEmbeddedBus runs the bot's embedded server on a random port with its
// data in dir.
func startEmbeddedBus(t *testing.T, dir string) *Bus {
	t.Helper()
	b, err := Connect(testContext(t), Config{Listen: "127.0.0.1:-1", StoreDir: dir}, testLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, b.Close(context.Background())) })
	return b
}

// connectBus connects to a running server, as a second replica does.
func connectBus(t *testing.T, url string) *Bus {
	t.Helper()
	b, err := Connect(testContext(t), Config{URL: url}, testLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, b.Close(context.Background())) })
	return b
}

// startPlainServer runs a nats-server that the bus did not start, like an
// operator's.
func startPlainServer(t *testing.T, jetStream bool) *server.Server {
	t.Helper()
	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: jetStream, StoreDir: testwait.Dir(t), NoLog: true, NoSigs: true,
	})
	require.NoError(t, err)
	srv.Start()
	t.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	require.True(t, srv.ReadyForConnections(waitFor), "nats-server not ready")
	return srv
}

func pendingRequest(id string) ops.Request {
	created := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	return ops.Request{
		ID:        id,
		Op:        "pipeline pause",
		Target:    ops.Target{Kind: "pipeline", Alias: "orders-etl", ID: "p-123", Provider: "EnOS", Scope: "org o123"},
		Args:      map[string]string{"sink": "10.0.0.1:9092"},
		Flags:     []string{"now"},
		Text:      "pipeline pause orders-etl",
		Requester: "U123",
		Origin:    ops.Origin{Frontend: "slack"},
		State:     ops.Pending,
		CreatedAt: created,
		ExpiresAt: created.Add(10 * time.Minute),
	}
}

func TestTwoReplicasShareRequests(t *testing.T) {
	ctx := testContext(t)
	first := startEmbeddedBus(t, t.TempDir())
	second := connectBus(t, first.ClientURL())
	assert.Equal(t, first.ClientURL(), second.ClientURL())

	_, err := first.Requests().Create(ctx, pendingRequest("r-000001"))
	require.NoError(t, err)

	got, err := second.Requests().Get(ctx, "r-000001")
	require.NoError(t, err)
	assert.Equal(t, ops.Pending, got.State)

	got.State = ops.Executing
	got.DecidedBy = "U456"
	_, err = second.Requests().Update(ctx, got)
	require.NoError(t, err)

	seen, err := first.Requests().Get(ctx, "r-000001")
	require.NoError(t, err)
	assert.Equal(t, ops.Executing, seen.State)
	assert.Equal(t, "U456", seen.DecidedBy)
}

func TestConfirmActsOnce(t *testing.T) {
	ctx := testContext(t)
	first := startEmbeddedBus(t, t.TempDir())
	second := connectBus(t, first.ClientURL())
	_, err := first.Requests().Create(ctx, pendingRequest("r-c0ffee"))
	require.NoError(t, err)

	// Every clicker reads before anyone writes, so all hold the same
	// revision and only the store's compare-and-swap can pick one.
	const clickers = 50
	var read sync.WaitGroup
	read.Add(clickers)
	write := make(chan struct{})
	results := make(chan error, clickers)
	var done sync.WaitGroup
	for i := range clickers {
		store := []*Requests{first.Requests(), second.Requests()}[i%2]
		done.Go(func() {
			r, err := store.Get(ctx, "r-c0ffee")
			read.Done()
			if err != nil {
				results <- err
				return
			}
			<-write
			r.State = ops.Executing
			_, err = store.Update(ctx, r)
			results <- err
		})
	}
	read.Wait()
	close(write)
	done.Wait()
	close(results)

	var won, conflicted int
	for err := range results {
		switch {
		case err == nil:
			won++
		case assert.ErrorIs(t, err, ops.ErrConflict):
			conflicted++
		}
	}
	assert.Equal(t, 1, won)
	assert.Equal(t, clickers-1, conflicted)

	r, err := second.Requests().Get(ctx, "r-c0ffee")
	require.NoError(t, err)
	assert.Equal(t, ops.Executing, r.State)
}

func TestRestartKeepsRequests(t *testing.T) {
	ctx := testContext(t)
	dir := t.TempDir()
	before := startEmbeddedBus(t, dir)
	_, err := before.Requests().Create(ctx, pendingRequest("r-000002"))
	require.NoError(t, err)
	r, err := before.Requests().Get(ctx, "r-000002")
	require.NoError(t, err)
	r.State = ops.Executing
	rev, err := before.Requests().Update(ctx, r)
	require.NoError(t, err)
	require.NoError(t, before.Close(ctx))

	after := startEmbeddedBus(t, dir)
	got, err := after.Requests().Get(ctx, "r-000002")
	require.NoError(t, err)
	assert.Equal(t, ops.Executing, got.State)
	assert.Equal(t, rev, got.Revision)
}

func TestReadyFailsWhenServerIsGone(t *testing.T) {
	ctx := testContext(t)
	embedded := startEmbeddedBus(t, t.TempDir())
	replica := connectBus(t, embedded.ClientURL())
	require.NoError(t, embedded.Ready(ctx))
	require.NoError(t, replica.Ready(ctx))

	require.NoError(t, embedded.Close(ctx))

	assert.ErrorContains(t, embedded.Ready(ctx), "not connected")
	// A check sent just before the replica notices the server is gone waits
	// out its ctx, so each gets a short one, as /readyz's would.
	assert.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		err := replica.Ready(ctx)
		return err != nil && strings.Contains(err.Error(), "not connected")
	}, waitFor, 10*time.Millisecond)
}

func TestEmbeddedPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })

	start := time.Now()
	_, err = Connect(testContext(t), Config{Listen: l.Addr().String(), StoreDir: testwait.Dir(t)}, testLogger(t))
	require.Error(t, err)
	assert.ErrorContains(t, err, "nats.listen")
	assert.ErrorContains(t, err, l.Addr().String())
	assert.ErrorContains(t, err, "address already in use")
	assert.Less(t, time.Since(start), startTimeout/2, "should fail as soon as the listen fails, not on the deadline")
}

func TestReplicasCreateBucketTogether(t *testing.T) {
	srv := startPlainServer(t, true)
	const replicas = 8
	var wg sync.WaitGroup
	errs := make(chan error, replicas)
	for range replicas {
		wg.Go(func() {
			b, err := Connect(testContext(t), Config{URL: srv.ClientURL()}, testLogger(t))
			if err == nil {
				err = b.Close(context.Background())
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
}

func TestConnectUsesBucketAsOperatorMadeIt(t *testing.T) {
	ctx := testContext(t)
	srv := startPlainServer(t, true)
	nc, err := nats.Connect(srv.ClientURL())
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: RequestsBucket, History: 5})
	require.NoError(t, err)

	b := connectBus(t, srv.ClientURL())
	status, err := b.Requests().kv.Status(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 5, status.History())
}

func TestConnectNeedsJetStream(t *testing.T) {
	srv := startPlainServer(t, false)
	_, err := Connect(testContext(t), Config{URL: srv.ClientURL()}, testLogger(t))
	assert.ErrorContains(t, err, "JetStream")
}

func TestConnectUnreachableURL(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now

	_, err = Connect(testContext(t), Config{URL: "nats://bot:s3cret@" + addr}, testLogger(t))
	assert.ErrorContains(t, err, addr)
	assert.NotContains(t, err.Error(), "s3cret")
}

// The embedded server takes only clients with its token, which it keeps in
// its store directory so that a restart (or a second replica) can use it.
func TestEmbeddedServerRequiresItsToken(t *testing.T) {
	dir := t.TempDir()
	b := startEmbeddedBus(t, dir)
	token, err := os.ReadFile(filepath.Join(dir, "client.token"))
	require.NoError(t, err)
	info, err := os.Stat(filepath.Join(dir, "client.token"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	u, err := url.Parse(b.ClientURL())
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSpace(string(token)), u.User.Username())
	u.User = nil
	_, err = nats.Connect(u.String(), nats.MaxReconnects(0))
	require.Error(t, err, "a client without the token is refused")
	assert.Contains(t, err.Error(), "Authorization Violation")
	_, err = nats.Connect(u.String(), nats.Token("guess"), nats.MaxReconnects(0))
	require.Error(t, err)

	nc, err := nats.Connect(u.String(), nats.Token(strings.TrimSpace(string(token))))
	require.NoError(t, err)
	nc.Close()
	second, err := Connect(testContext(t), Config{URL: u.String(), Token: strings.TrimSpace(string(token))}, testLogger(t))
	require.NoError(t, err, "a second replica connects with nats.token")
	require.NoError(t, second.Close(context.Background()))
}

func TestEmbeddedTokenSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	first := startEmbeddedBus(t, dir)
	before := first.ClientURL()
	require.NoError(t, first.Close(context.Background()))
	again := startEmbeddedBus(t, dir)
	b, _ := url.Parse(before)
	a, _ := url.Parse(again.ClientURL())
	assert.Equal(t, b.User.Username(), a.User.Username())
}

func TestConfiguredTokenIsUsed(t *testing.T) {
	b, err := Connect(testContext(t), Config{Listen: "127.0.0.1:-1", StoreDir: testwait.Dir(t), Token: "s3cret-token"}, testLogger(t))
	require.NoError(t, err)
	defer b.Close(context.Background())
	u, _ := url.Parse(b.ClientURL())
	assert.Equal(t, "s3cret-token", u.User.Username())
}
