package pipelines

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/sandbox/enossim"
)

// The card's call line is the request the client sends: both come from
// enos.Client.OperateCall.
func TestTheCallLineIsWhatTheClientSends(t *testing.T) {
	sim := enossim.New(enossim.Config{Pipelines: []enossim.Pipeline{{ID: "p-7d3f9a21", Name: "orders-etl", Status: enos.StatusRunning}}}, "o15589290120351", "k", "s")
	var (
		mu   sync.Mutex
		sent []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("action") != "" {
			mu.Lock()
			sent = append(sent, r.Method+" "+r.URL.RequestURI())
			mu.Unlock()
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	api := enos.New(srv.URL, enos.Config{OrgID: "o15589290120351", AppKey: "k", AppSecret: "s"})

	var pause ops.Spec
	for _, s := range New(api).Operations() {
		if s.Name == "pipeline pause" {
			pause = s
		}
	}
	r := ops.Request{Op: pause.Name, Target: ops.Target{Kind: "pipeline", ID: "p-7d3f9a21"}}
	require.NoError(t, pause.Prepare(context.Background(), &r))
	assert.Equal(t, "org o15589290120351", r.Target.Scope)
	line := pause.Call(r)
	assert.Equal(t, "POST /streaming/v2.0/streaming/pipeline/p-7d3f9a21?action=pause&orgId=o15589290120351", line)

	_, err := pause.Execute(context.Background(), r)
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{line}, sent)
}

// Stop is the dangerous one: pause and start are undone by each other.
func TestRisk(t *testing.T) {
	risk := map[string]ops.Risk{}
	for _, s := range Specs() {
		risk[s.Name] = s.Risk
	}
	assert.Equal(t, map[string]ops.Risk{
		"pipeline pause": ops.Routine, "pipeline start": ops.Routine, "pipeline stop": ops.Dangerous,
		"pipeline show": ops.Routine, "pipeline list": ops.Routine,
	}, risk)
}

// A target of an account the provider lacks is refused, naming the
// accounts there are, before anything is sent: the directory refuses it
// first, so this only shows a config and its providers out of step.
func TestATargetOfAnUnknownAccountIsRefused(t *testing.T) {
	var pause, show ops.Spec
	for _, s := range Accounts(Account{Name: ops.DefaultAccount}, Account{Name: "eu"}).Operations() {
		switch s.Name {
		case "pipeline pause":
			pause = s
		case "pipeline show":
			show = s
		}
	}
	r := ops.Request{Op: pause.Name, Target: ops.Target{Account: "us", Kind: "pipeline", ID: "p-1"}}
	assert.EqualError(t, pause.Prepare(context.Background(), &r), `EnOS has no account "us" for pipeline pause: its accounts are default, eu`)
	_, err := pause.Execute(context.Background(), r)
	assert.EqualError(t, err, `EnOS has no account "us" for pipeline pause: its accounts are default, eu`)
	_, err = show.Read(context.Background(), r)
	assert.EqualError(t, err, `EnOS has no account "us" for pipeline show: its accounts are default, eu`)
}
