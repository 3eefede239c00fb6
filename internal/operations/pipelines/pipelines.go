// Package pipelines is the EnOS provider's side of the catalogue: the
// pipeline operations, over the EnOS Stream Processing client.
package pipelines

import (
	"context"
	"fmt"
	"strings"

	"github.com/streamops/streamops/internal/api"
	"github.com/streamops/streamops/internal/api/enos"
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

// Operations are the pipeline operations, over the client.
type Operations struct{ api API }

// Account is one EnOS organisation the bot acts in, by the name targets
// give it.
type Account struct {
	Name string
	API  API
}

// New offers the pipeline operations of the client's org, the one account.
func New(api API) Operations { return Accounts(Account{Name: ops.DefaultAccount, API: api}) }

// Accounts offers the pipeline operations of every account's org, each
// target's call sent through its account's client.
func Accounts(accounts ...Account) Operations { return Operations{api: accounts[0].API} }

// Specs are the operations with no client, for their names and help: the
// policy and the alert rules are checked with them before any is configured.
func Specs() []ops.Spec { return Operations{}.Operations() }

// Operations implements ops.Provider. Nothing is read from the client until
// an operation runs.
func (p Operations) Operations() []ops.Spec {
	api := p.api
	status := func(ctx context.Context, r ops.Request) (string, error) {
		pl, err := api.Pipeline(ctx, r.Target.ID)
		return pl.Status, err
	}
	act := func(a enos.Action, done, summary string, want string, risk ops.Risk, reverse enos.Action) ops.Spec {
		return ops.Spec{
			Name: "pipeline " + string(a), Provider: Provider, Usage: "<pipeline>", Kind: "pipeline", Summary: summary, Risk: risk,
			Prepare: func(_ context.Context, r *ops.Request) error {
				r.Target.Scope = "org " + api.OrgID()
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
				return fmt.Sprintf("Pipeline %s: %s (name %q, org %s)", r.Target.Name(), pl.Status, pl.Name, api.OrgID()), nil
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
					return fmt.Sprintf("Org %s has no pipelines.", api.OrgID()), nil
				}
				var b strings.Builder
				fmt.Fprintf(&b, "%s in org %s:\n", ops.Count(len(ps), "pipeline"), api.OrgID())
				for _, pl := range ps {
					fmt.Fprintf(&b, "  %-40s %-10s %s\n", pl.ID, pl.Status, pl.Name)
				}
				return strings.TrimRight(b.String(), "\n"), nil
			},
		},
	}
}
