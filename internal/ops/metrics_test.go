package ops_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
)

// recorded keeps what the service told its metrics.
type recorded struct {
	mu     sync.Mutex
	checks []string
	calls  []string // "provider account op" of each provider call
}

func (r *recorded) Transition(string, ops.State) {}
func (r *recorded) ProviderCall(provider, account, op string, _ time.Duration, _ error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, provider+" "+account+" "+op)
}
func (r *recorded) StatusCheck(op, result string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checks = append(r.checks, op+" "+result)
}

func (r *recorded) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.checks...)
}

func (r *recorded) providerCalls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

func TestStatusChecksAreCounted(t *testing.T) {
	w := newWorld(t)
	// Pipeline p-100 is accepted but keeps reading RUNNING; the others are
	// the simulator's.
	stuck := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/pipeline/p-100") {
			fmt.Fprint(rw, `{"code":0,"msg":"OK","requestId":"x","data":{"pipelineId":"p-100","status":"RUNNING"}}`)
			return
		}
		w.sim.ServeHTTP(rw, r)
	}))
	defer stuck.Close()
	m := &recorded{}
	b := w.startBot(t, w.bus, ops.Settings{
		Targets:       ops.Targets{"pipeline": {"orders-etl": "p-100", "billing": "p-200"}},
		CheckInterval: 5 * time.Millisecond, CheckTimeout: time.Minute,
	}, ops.Deps{Metrics: m, Providers: []ops.Provider{pipelines.New(enos.New(stuck.URL, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}))}})

	for _, text := range []string{"pipeline pause orders-etl", "pipeline start billing"} {
		r := propose(t, b, text)
		_, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
		require.NoError(t, err)
		// The check's deadline is on the world's clock: move it on until
		// the follow-up comes.
		deadline := time.Now().Add(10 * time.Second)
		for followedUp := false; !followedUp; {
			require.True(t, time.Now().Before(deadline), "no status follow-up for %q", text)
			select {
			case <-b.notices:
				followedUp = true
			case <-time.After(10 * time.Millisecond):
				w.clock.Advance(10 * time.Second)
			}
		}
	}
	assert.Equal(t, []string{"pipeline pause " + ops.CheckTimedOut, "pipeline start " + ops.CheckReached}, m.seen())
}

func TestOperationsListsWhatChangesState(t *testing.T) {
	w := newWorld(t)
	b := w.newBot(t, w.bus, ops.Settings{})
	got := map[string]ops.OperationInfo{}
	for _, o := range b.svc.Operations() {
		got[o.Name] = o
	}
	assert.Equal(t, ops.OperationInfo{Name: "pipeline pause", Provider: pipelines.Provider, Checked: true}, got["pipeline pause"])
	assert.Contains(t, got, "pipeline stop")
	assert.NotContains(t, got, "pipeline list", "reads make no requests")
	assert.NotContains(t, got, "help")
}
