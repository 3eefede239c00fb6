package ops_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/fakeclock"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/sandbox/enossim"
	"github.com/streamops/streamops/internal/testwait"
)

// clusterWait bounds every wait on the cluster: elections on a loaded
// 2-core machine take seconds.
const clusterWait = 30 * time.Second

// startCluster runs n nats-servers with JetStream, routed to each other,
// on random ports, and waits until JetStream takes a write.
func startCluster(t testing.TB, n int) []*server.Server {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ports[i] = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	var routes []string
	for _, p := range ports {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	servers := make([]*server.Server, n)
	for i := range servers {
		srv, err := server.NewServer(&server.Options{
			ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: -1,
			JetStream: true, StoreDir: testwait.Dir(t), NoLog: true, NoSigs: true,
			Cluster: server.ClusterOpts{Name: "streamops", Host: "127.0.0.1", Port: ports[i]},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		})
		require.NoError(t, err)
		srv.Start()
		servers[i] = srv
		t.Cleanup(func() {
			srv.Shutdown()
			srv.WaitForShutdown()
		})
	}
	for _, srv := range servers {
		require.True(t, srv.ReadyForConnections(clusterWait))
	}
	deadline := time.Now().Add(clusterWait)
	for _, srv := range servers {
		for !srv.JetStreamIsCurrent() || srv.NumRoutes() < n-1 {
			require.True(t, time.Now().Before(deadline), "the cluster did not form within %s", clusterWait)
			time.Sleep(20 * time.Millisecond) // polling with a deadline
		}
	}
	// Replicated buckets are placed by the meta leader on the peers it has
	// heard from: until it has heard from all, a bucket of n replicas is
	// refused ("no suitable peers for placement").
	for !slices.ContainsFunc(servers, func(srv *server.Server) bool { return len(srv.JetStreamClusterPeers()) == n }) {
		require.True(t, time.Now().Before(deadline), "the meta leader did not hear from every server within %s", clusterWait)
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
	return servers
}

func clientURLs(servers []*server.Server, first int) string {
	urls := []string{servers[first].ClientURL()}
	for i, s := range servers {
		if i != first && s.Running() {
			urls = append(urls, s.ClientURL())
		}
	}
	return strings.Join(urls, ",")
}

// provider is the EnOS simulator behind one front door per bot, counting
// the state-changing calls per pipeline and when each arrived.
type provider struct {
	sim   *enossim.Simulator
	mu    sync.Mutex
	calls map[string]int       // pipeline ID -> state-changing calls
	at    map[string]time.Time // pipeline ID -> first call's arrival
}

func newProvider(n int) *provider {
	var ps []enossim.Pipeline
	for i := 1; i <= n; i++ {
		ps = append(ps, enossim.Pipeline{ID: fmt.Sprintf("p-%d", i), Name: fmt.Sprintf("p%d", i), Status: enos.StatusRunning})
	}
	return &provider{sim: enossim.New(enossim.Config{Pipelines: ps}, orgID, appKey, appSecret), calls: map[string]int{}, at: map[string]time.Time{}}
}

// door serves the simulator; while hold is not nil, state-changing calls
// wait on it after they are counted.
func (p *provider) door(t testing.TB, hold <-chan struct{}, arrived chan<- string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Query().Get("action") != "" {
			id := path.Base(r.URL.Path)
			p.mu.Lock()
			p.calls[id]++
			if _, ok := p.at[id]; !ok {
				p.at[id] = time.Now()
			}
			p.mu.Unlock()
			if hold != nil {
				arrived <- id
				<-hold
			}
		}
		p.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (p *provider) callsTo(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[id]
}

func (p *provider) arrival(id string) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	at, ok := p.at[id]
	return at, ok
}

// replica is one bot: its connection, its rules, its sweep.
type replica struct {
	bus  *bus.Bus
	svc  *ops.Service
	stop context.CancelFunc
	ran  chan struct{}
}

func startReplica(t testing.TB, cfg bus.Config, providerURL string, clock *fakeclock.Clock) *replica {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterWait)
	defer cancel()
	b, err := bus.Connect(ctx, cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	svc, err := ops.New(settings(ops.Settings{SweepInterval: 20 * time.Millisecond, CheckInterval: 10 * time.Millisecond, TargetWait: 20 * time.Second}), ops.Deps{
		Store: b.Requests(), Claims: b.Claims(), Events: b.Events(), Now: clock.Now,
		Providers: []ops.Provider{pipelines.New(enos.New(providerURL, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}))},
	})
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(context.Background())
	r := &replica{bus: b, svc: svc, stop: stop, ran: make(chan struct{})}
	go func() { defer close(r.ran); svc.Run(runCtx) }()
	t.Cleanup(func() { r.halt() })
	return r
}

// halt stops the replica as a crash would, from the cluster's point of
// view: its sweep ends and its connection closes, whatever it was doing.
func (r *replica) halt() {
	r.stop()
	<-r.ran
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r.bus.Close(ctx)
}

// retry repeats f while NATS is electing a leader or reconnecting: what a
// person does when the bot says NATS is away. A refusal (*InputError) is an
// answer, not a failure.
func retry[T any](t testing.TB, f func() (T, error)) (T, error) {
	t.Helper()
	deadline := time.Now().Add(clusterWait)
	for {
		v, err := f()
		var bad *ops.InputError
		if err == nil || errors.As(err, &bad) || time.Now().After(deadline) {
			return v, err
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
}

// Three bots on a three-node cluster, the buckets and the audit stream
// with three replicas: a request confirmed on all three at once is carried
// out once.
func TestClusterConcurrentConfirmsCallOnce(t *testing.T) {
	servers := startCluster(t, 3)
	clock := fakeclock.New(time.Now())
	prov := newProvider(5)
	var bots []*replica
	for i := range 3 {
		bots = append(bots, startReplica(t, bus.Config{URL: clientURLs(servers, i), Replicas: 3}, prov.door(t, nil, nil), clock))
	}
	ctx := context.Background()
	for n := 1; n <= 5; n++ {
		reply, err := retry(t, func() (ops.Reply, error) {
			return bots[n%3].svc.Handle(ctx, ops.Input{Text: fmt.Sprintf("pipeline pause p-%d", n), User: "U-alice", Origin: ops.Origin{Frontend: "test"}})
		})
		require.NoError(t, err)
		id := reply.Request.ID
		var wg sync.WaitGroup
		results := make(chan error, 9)
		for _, b := range bots {
			for range 3 {
				wg.Go(func() {
					_, err := b.svc.Confirm(ctx, id, "U-bob")
					results <- err
				})
			}
		}
		wg.Wait()
		close(results)
		won := 0
		for err := range results {
			if err == nil {
				won++
				continue
			}
			var bad *ops.InputError
			require.True(t, errors.As(err, &bad), "a losing confirm is told why: %v", err)
		}
		assert.Equal(t, 1, won, "one confirm of nine wins")
		assert.Equal(t, 1, prov.callsTo(fmt.Sprintf("p-%d", n)), "one provider call")
		r, err := bots[(n+1)%3].bus.Requests().Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, ops.Succeeded, r.State)
	}
}

// One NATS node and one bot stop mid-run: no request is lost, none is
// carried out twice, and every one ends in a final state.
func TestClusterSurvivesANodeAndABotStopping(t *testing.T) {
	servers := startCluster(t, 3)
	clock := fakeclock.New(time.Now())
	const total = 12
	prov := newProvider(total)
	hold, arrived := make(chan struct{}), make(chan string, 1)
	bots := []*replica{
		startReplica(t, bus.Config{URL: clientURLs(servers, 0), Replicas: 3}, prov.door(t, nil, nil), clock),
		startReplica(t, bus.Config{URL: clientURLs(servers, 1), Replicas: 3}, prov.door(t, nil, nil), clock),
		// The third bot's calls are held at the provider: it stops mid-call.
		startReplica(t, bus.Config{URL: clientURLs(servers, 2), Replicas: 3}, prov.door(t, hold, arrived), clock),
	}
	ctx := context.Background()
	ids := make([]string, total+1)
	propose := func(n int, b *replica) {
		reply, err := retry(t, func() (ops.Reply, error) {
			return b.svc.Handle(ctx, ops.Input{Text: fmt.Sprintf("pipeline pause p-%d", n), User: "U-alice", Origin: ops.Origin{Frontend: "test"}})
		})
		require.NoError(t, err, "request %d", n)
		ids[n] = reply.Request.ID
	}
	for n := 1; n <= 9; n++ {
		propose(n, bots[n%3])
	}
	// The third bot takes request 9 and is stopped while the provider has it.
	crashed := make(chan struct{})
	go func() {
		defer close(crashed)
		bots[2].svc.Confirm(ctx, ids[9], "U-carol")
	}()
	select {
	case id := <-arrived:
		require.Equal(t, "p-9", id)
	case <-time.After(clusterWait):
		t.Fatal("the third bot's call never reached the provider")
	}
	// Its NATS node stops too.
	servers[2].Shutdown()
	servers[2].WaitForShutdown()
	bots[2].halt()
	close(hold) // the held call lands after its bot is gone: it did act

	// The two left confirm 1..8 at once, each on both, and make three more.
	var wg sync.WaitGroup
	for n := 1; n <= 8; n++ {
		for _, b := range bots[:2] {
			wg.Go(func() {
				retry(t, func() (ops.Request, error) { return b.svc.Confirm(ctx, ids[n], "U-bob") })
			})
		}
	}
	wg.Wait()
	for n := 10; n <= total; n++ {
		propose(n, bots[n%2])
		_, err := retry(t, func() (ops.Request, error) { return bots[(n+1)%2].svc.Confirm(ctx, ids[n], "U-bob") })
		require.NoError(t, err, "request %d confirmed after the node stopped", n)
	}
	<-crashed

	// Time passes beyond the abandonment limit: a survivor's sweep reports
	// request 9 uncertain, since nobody heard how its call went.
	clock.Advance(6 * time.Minute)
	deadline := time.Now().Add(clusterWait)
	states := map[ops.State]int{}
	for n := 1; n <= total; n++ {
		for {
			r, err := bots[n%2].bus.Requests().Get(ctx, ids[n])
			if err == nil && r.State.Final() {
				states[r.State]++
				if n == 9 {
					assert.Equal(t, ops.Uncertain, r.State, "the stopped bot's request is reported uncertain")
				}
				break
			}
			require.True(t, time.Now().Before(deadline), "request %d (%s) did not end: %v %v", n, ids[n], r.State, err)
			time.Sleep(20 * time.Millisecond) // polling with a deadline
		}
		assert.Equal(t, 1, prov.callsTo(fmt.Sprintf("p-%d", n)), "request %d: one provider call, not lost, not doubled", n)
	}
	t.Logf("after a node and a bot stopped: %d requests, final states %v", total, states)
	assert.Equal(t, total-1, states[ops.Succeeded])

	// The audit trail, kept on the two nodes left, has one executing event
	// per request.
	events, err := retry(t, func() ([]ops.Event, error) { return bots[0].bus.Audit().Events(ctx, time.Now().Add(-time.Hour)) })
	require.NoError(t, err)
	executing := map[string]int{}
	for _, e := range events {
		if e.State == ops.Executing {
			executing[e.RequestID]++
		}
	}
	for n := 1; n <= total; n++ {
		assert.Equal(t, 1, executing[ids[n]], "request %d moved to executing once", n)
	}
}

// confirmLatency measures, for n requests confirmed round-robin on the
// bots, the time from Confirm to the provider's receipt of the call.
func confirmLatency(t testing.TB, bots []*replica, prov *provider, n int) []time.Duration {
	t.Helper()
	ctx := context.Background()
	var took []time.Duration
	for i := 1; i <= n; i++ {
		b := bots[i%len(bots)]
		reply, err := retry(t, func() (ops.Reply, error) {
			return b.svc.Handle(ctx, ops.Input{Text: fmt.Sprintf("pipeline pause p-%d", i), User: "U-alice", Origin: ops.Origin{Frontend: "test"}})
		})
		require.NoError(t, err)
		confirmer := bots[(i+1)%len(bots)]
		start := time.Now()
		_, err = confirmer.svc.Confirm(ctx, reply.Request.ID, "U-bob")
		require.NoError(t, err)
		at, ok := prov.arrival(fmt.Sprintf("p-%d", i))
		require.True(t, ok)
		took = append(took, at.Sub(start))
	}
	slices.Sort(took)
	return took
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

// The confirm-to-call latency with three bots on a three-node cluster (R3)
// and, as the baseline, with three bots on one embedded server. A
// benchmark, not a test: on a loaded machine a percentile is no verdict.
func BenchmarkConfirmToCallLatency(b *testing.B) {
	clock := fakeclock.New(time.Now())
	b.StopTimer()
	servers := startCluster(b, 3)
	prov := newProvider(b.N)
	var onCluster []*replica
	for i := range 3 {
		onCluster = append(onCluster, startReplica(b, bus.Config{URL: clientURLs(servers, i), Replicas: 3}, prov.door(b, nil, nil), clock))
	}
	b.StartTimer()
	cluster := confirmLatency(b, onCluster, prov, b.N)
	b.StopTimer()

	embedded := startReplica(b, bus.Config{Listen: "127.0.0.1:-1", StoreDir: b.TempDir()}, "", clock)
	prov = newProvider(b.N)
	url := prov.door(b, nil, nil)
	var onOne []*replica
	for range 3 {
		onOne = append(onOne, startReplica(b, bus.Config{URL: embedded.bus.ClientURL()}, url, clock))
	}
	b.StartTimer()
	one := confirmLatency(b, onOne, prov, b.N)

	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(percentile(cluster, 0.5)), "cluster-p50-ms")
	b.ReportMetric(ms(percentile(cluster, 0.99)), "cluster-p99-ms")
	b.ReportMetric(ms(percentile(one, 0.5)), "one-p50-ms")
	b.ReportMetric(ms(percentile(one, 0.99)), "one-p99-ms")
	b.ReportMetric(float64(percentile(cluster, 0.99))/float64(percentile(one, 0.99)), "p99-cluster/one")
}
