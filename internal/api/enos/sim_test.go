package enos

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/sandbox/enossim"
)

func startSim(t *testing.T, opts []enossim.Option, pipelines ...enossim.Pipeline) (*enossim.Simulator, string) {
	cfg := enossim.Config{Pipelines: pipelines}
	require.NoError(t, cfg.Validate())
	sim := enossim.New(cfg, testOrg, testKey, testSecret, append([]enossim.Option{enossim.WithLogger(quiet())}, opts...)...)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

var requestIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestAgainstSimulatorOperate(t *testing.T) {
	sim, url := startSim(t, nil,
		enossim.Pipeline{ID: "p-run", Name: "orders-etl", Status: enossim.StatusRunning},
		enossim.Pipeline{ID: "p-pub", Name: "billing", Status: enossim.StatusPublished},
	)
	c := New(url, testConfig(), WithLogger(quiet()))
	ctx := context.Background()

	for _, step := range []struct {
		id   string
		a    Action
		want string
	}{
		{"p-run", Pause, StatusPaused},
		{"p-run", Start, StatusRunning},
		{"p-run", Stop, StatusStopped},
		{"p-pub", Start, StatusRunning},
	} {
		rid, err := c.Operate(ctx, step.id, step.a)
		require.NoError(t, err, "%s %s", step.a, step.id)
		assert.Regexp(t, requestIDPattern, rid)
		p, _ := sim.Pipeline(step.id)
		assert.Equal(t, step.want, p.Status)

		got, err := c.Pipeline(ctx, step.id)
		require.NoError(t, err)
		assert.Equal(t, step.want, got.Status)
	}

	_, err := c.Operate(ctx, "p-run", Pause)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 200, e.HTTPStatus)
	assert.Equal(t, 61152, e.Code)
	assert.Equal(t, "Status of the stream processing job cannot be changed from [STOPPED] to Paused.", e.Msg)
	assert.Regexp(t, requestIDPattern, e.RequestID)

	_, err = c.Operate(ctx, "p-gone", Stop)
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 61108, e.Code)
	assert.Equal(t, "Stream processing job does not exit.", e.Msg)

	_, err = c.Pipeline(ctx, "p-gone")
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 61108, e.Code)
}

func TestAgainstSimulatorList(t *testing.T) {
	var want []Pipeline
	var ps []enossim.Pipeline
	for i := range 2*pageSize + 3 {
		p := enossim.Pipeline{ID: fmt.Sprintf("p-%03d", i), Name: fmt.Sprintf("job %d", i), Status: enossim.StatusPaused}
		ps = append(ps, p)
		want = append(want, Pipeline{ID: p.ID, Name: p.Name, Status: p.Status})
	}
	_, url := startSim(t, nil, ps...)
	c := New(url, testConfig(), WithLogger(quiet()))

	got, err := c.Pipelines(context.Background())
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

func TestAgainstSimulatorTokenLife(t *testing.T) {
	clientClock, simClock := newClock(), newClock()
	sim, _ := startSim(t, []enossim.Option{enossim.WithClock(simClock.Now), enossim.WithTokenTTL(10 * time.Minute)},
		enossim.Pipeline{ID: "p-1", Status: enossim.StatusRunning})
	var mu sync.Mutex
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	count := func(path string) int {
		mu.Lock()
		defer mu.Unlock()
		return hits[path]
	}
	c := New(srv.URL, testConfig(), WithClock(clientClock.Now), WithLogger(quiet()))
	ctx := context.Background()

	_, err := c.Pipeline(ctx, "p-1")
	require.NoError(t, err)
	assert.Equal(t, 1, count(pathTokenGet))

	// A tenth of its life left: renewed through /token/refresh.
	clientClock.Advance(9*time.Minute + 30*time.Second)
	simClock.Advance(9*time.Minute + 30*time.Second)
	_, err = c.Pipeline(ctx, "p-1")
	require.NoError(t, err)
	assert.Equal(t, 1, count(pathTokenRefresh))

	// The gateway's clock runs 3 minutes ahead: it refuses the token the
	// client still trusts, and the client recovers with a new one.
	clientClock.Advance(8 * time.Minute)
	simClock.Advance(11 * time.Minute)
	_, err = c.Operate(ctx, "p-1", Pause)
	require.NoError(t, err)
	assert.Equal(t, 2, count(pathTokenGet))
	assert.Equal(t, 1, count(pathTokenRefresh))
	assert.Equal(t, 4, count("/streaming/v2.0/streaming/pipeline/p-1"), "two reads, the refused pause and its one resend")
	p, _ := sim.Pipeline("p-1")
	assert.Equal(t, StatusPaused, p.Status)
}

func TestAgainstSimulatorWrongSecret(t *testing.T) {
	_, url := startSim(t, nil)
	cfg := testConfig()
	cfg.AppSecret = "wrong"
	c := New(url, cfg, WithLogger(quiet()))
	_, err := c.Pipelines(context.Background())
	var te *TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 1003, te.Status)
	assert.Equal(t, "EnOS token service refused the app key: 1003 invalid encryption — check enos.app_key/app_secret", err.Error())
}
