// Package pipelines is the EnOS provider's side of the catalogue: the
// pipeline operations, over the EnOS Stream Processing client.
package pipelines

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/streamops/streamops/internal/api"
	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/operations/account"
	"github.com/streamops/streamops/internal/ops"
)

// Provider is the provider's name, as ops.Target.Provider names it.
const Provider = "EnOS"

// API is the EnOS Stream Processing API, as the pipeline commands use it
// (an *enos.Client).
type API interface {
	OrgID() string
	OperateCall(pipelineID string, a enos.Action) api.Call
	Operate(ctx context.Context, pipelineID string, a enos.Action) (requestID string, err error)
	Pipeline(ctx context.Context, pipelineID string) (enos.Pipeline, error)
	Pipelines(ctx context.Context) ([]enos.Pipeline, error)
}

// Operations are the pipeline operations, over each account's client.
type Operations struct{ accounts []Account }

// Account is one EnOS organisation the bot acts in, by the name targets
// give it.
type Account struct {
	Name string // ops.DefaultAccount (or "") for the default account
	API  API
}

// New offers the pipeline operations of the client's org, the one account.
func New(api API) Operations { return Accounts(Account{Name: ops.DefaultAccount, API: api}) }

// Accounts offers the pipeline operations of every account's org, each
// target's call sent through its account's client; a list covers them all.
func Accounts(accounts ...Account) Operations { return Operations{accounts: accounts} }

// Specs are the operations with no client, for their names and help: the
// policy and the alert rules are checked with them before any is configured.
func Specs() []ops.Spec { return New(nil).Operations() }

// Operations implements ops.Provider. Nothing is read from the clients
// until an operation runs.
func (p Operations) Operations() []ops.Spec {
	each := make([]account.Specs, len(p.accounts))
	for i, a := range p.accounts {
		name := cmp.Or(a.Name, ops.DefaultAccount)
		scope := func() string { return account.Scope(name, "org "+a.API.OrgID()) }
		each[i] = account.Specs{Name: name, Scope: scope, Specs: specs(a.API, scope)}
	}
	return account.Merge(each...)
}

// specs are the operations of one account, over its client; scope is
// where its targets live.
func specs(api API, scope func() string) []ops.Spec {
	status := func(ctx context.Context, r ops.Request) (string, error) {
		pl, err := api.Pipeline(ctx, r.Target.ID)
		return pl.Status, err
	}
	act := func(a enos.Action, done, summary string, want string, risk ops.Risk, reverse enos.Action) ops.Spec {
		return ops.Spec{
			Name: "pipeline " + string(a), Provider: Provider, Usage: "<pipeline>", Kind: "pipeline", Summary: summary, Risk: risk,
			Prepare: func(_ context.Context, r *ops.Request) error {
				r.Target.Scope = scope()
				return nil
			},
			Call: func(r ops.Request) string { return api.OperateCall(r.Target.ID, a).String() },
			Execute: func(ctx context.Context, r ops.Request) (ops.Outcome, error) {
				reqID, err := api.Operate(ctx, r.Target.ID, a)
				if err != nil {
					return ops.Outcome{}, err
				}
				// EnOS answers with no job of its own: the pipeline is the job.
				return ops.Outcome{JobID: r.Target.ID, RequestID: reqID}, nil
			},
			Done: func(r ops.Request, out ops.Outcome) string {
				return fmt.Sprintf("%s pipeline %s: %s", done, r.Target.Name(), out.IDs())
			},
			Verb:  func(r ops.Request) string { return fmt.Sprintf("%s pipeline %s", a, r.Target.Name()) },
			Check: ops.StatusIs(status, want), Reverse: ops.ReverseBy("pipeline " + string(reverse)),
		}
	}
	return []ops.Spec{
		act(enos.Pause, "Paused", "pause a running EnOS stream-processing pipeline", enos.StatusPaused, ops.Routine, enos.Start),
		act(enos.Start, "Started", "start a published, stopped or paused pipeline", enos.StatusRunning, ops.Routine, enos.Pause),
		act(enos.Stop, "Stopped", "stop a running or paused pipeline", enos.StatusStopped, ops.Dangerous, enos.Start),
		{
			Name: "pipeline show", Provider: Provider, Usage: "<pipeline>", Kind: "pipeline", Summary: "show a pipeline's status",
			Read: func(ctx context.Context, r ops.Request) (string, error) {
				pl, err := api.Pipeline(ctx, r.Target.ID)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("Pipeline %s: %s (name %q, %s)", r.Target.Name(), pl.Status, pl.Name, scope()), nil
			},
		},
		{
			Name: "pipeline list", Provider: Provider, Summary: "list the pipelines of the org",
			Lists: "pipeline", Entries: ops.EntriesOf(func(ctx context.Context) ([]enos.Pipeline, error) { return api.Pipelines(ctx) },
				func(pl enos.Pipeline) ops.Entry { return ops.Entry{ID: pl.ID, Name: pl.Name, Status: pl.Status} }),
			Read: func(ctx context.Context, _ ops.Request) (string, error) {
				ps, err := api.Pipelines(ctx)
				if err != nil {
					return "", err
				}
				if len(ps) == 0 {
					sc := scope() // "org o1" or "account sh, org o2": ASCII, so [:1] is its first letter
					return fmt.Sprintf("%s%s has no pipelines.", strings.ToUpper(sc[:1]), sc[1:]), nil
				}
				var b strings.Builder
				fmt.Fprintf(&b, "%s in %s:\n", ops.Count(len(ps), "pipeline"), scope())
				for _, pl := range ps {
					fmt.Fprintf(&b, "  %-40s %-10s %s\n", pl.ID, pl.Status, pl.Name)
				}
				return strings.TrimRight(b.String(), "\n"), nil
			},
		},
	}
}
