package console

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/fakeclock"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/sandbox/enossim"
	"github.com/streamops/streamops/internal/syncbuf"
	"github.com/streamops/streamops/internal/testwait"
)

// groupService is the service over NATS and an EnOS simulator with the
// target group @orders: orders-etl (whose pause works), billing-agg
// (stopped: EnOS refuses its pause), p-300 (whose pause acts and is then
// answered with HTTP 500) and a stream, which no pipeline command takes.
func groupService(t *testing.T) *ops.Service {
	t.Helper()
	sim := enossim.New(enossim.Config{Pipelines: []enossim.Pipeline{
		{ID: "p-100", Name: "orders-etl", Status: enos.StatusRunning},
		{ID: "p-200", Name: "billing-agg", Status: enos.StatusStopped},
		{ID: "p-300", Name: "refunds", Status: enos.StatusRunning},
	}}, "o-test", "k", "s")
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("action") == "pause" && path.Base(r.URL.Path) == "p-300" {
			sim.ServeHTTP(httptest.NewRecorder(), r) // it acts...
			http.Error(rw, "upstream reset", http.StatusInternalServerError)
			return
		}
		sim.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	b, err := bus.Connect(context.Background(), bus.Config{Listen: "127.0.0.1:-1", StoreDir: testwait.Dir(t)}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { b.Close(context.Background()) })
	clock := fakeclock.New(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	svc, err := ops.New(ops.Settings{
		Expiry: 10 * time.Minute, SweepInterval: time.Second, CheckInterval: 10 * time.Millisecond, CheckTimeout: time.Minute,
		AbandonAfter: 5 * time.Minute, TargetWait: 10 * time.Second,
		Targets: ops.Targets{"pipeline": {"orders-etl": "p-100", "billing-agg": "p-200"}, "stream": {"clickstream": "es-1"}},
		Groups:  map[string][]string{"orders": {"pipeline:orders-etl", "pipeline:billing-agg", "stream:clickstream", "pipeline:p-300"}},
	}, ops.Deps{
		Store: b.Requests(), Claims: b.Claims(), Events: b.Events(), Now: clock.Now,
		Providers: []ops.Provider{pipelines.New(enos.New(srv.URL, enos.Config{OrgID: "o-test", AppKey: "k", AppSecret: "s"}))},
	})
	require.NoError(t, err)
	t.Cleanup(func() { svc.Wait(context.Background()) })
	return svc
}

// A group's card lists each target and its call; its outcome has a line
// per target, the uncertain and the failed apart from the done.
func TestGroupCardAndOutcomeMatchGolden(t *testing.T) {
	svc := groupService(t)
	in, typed := io.Pipe()
	var out syncbuf.Buffer
	ran := make(chan error, 1)
	go func() { ran <- New("alice", in, &out).Run(context.Background(), svc) }()
	says := func(re string) {
		t.Helper()
		require.Eventually(t, func() bool { return regexp.MustCompile(re).MatchString(out.String()) }, 15*time.Second, 5*time.Millisecond, "no %q in:\n%s", re, out.String())
	}

	_, err := io.WriteString(typed, "pipeline pause @orders\n")
	require.NoError(t, err)
	says(`Waiting for confirmation: .*\nstreamops> $`)
	id := regexp.MustCompile(`r-[0-9a-f]{6}`).FindString(out.String())
	_, err = io.WriteString(typed, "confirm "+id+"\n")
	require.NoError(t, err)
	says(`Confirmed by alice\.(.|\n)*\nstreamops> $`)
	typed.Close()
	require.NoError(t, <-ran)

	got := strings.ReplaceAll(out.String(), id, "r-000000")
	got = regexp.MustCompile(`request ID [0-9a-f-]+`).ReplaceAllString(got, "request ID <id>")
	golden := filepath.Join("testdata", "group.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), got)
}
