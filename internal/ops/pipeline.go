package ops

import (
	"context"
	"fmt"
	"strings"

	"github.com/streamops/streamops/internal/api/enos"
)

// Pipelines is the EnOS Stream Processing API, as the pipeline commands use it.
type Pipelines interface {
	OrgID() string
	Operate(ctx context.Context, pipelineID string, a enos.Action) (requestID string, err error)
	Pipeline(ctx context.Context, pipelineID string) (enos.Pipeline, error)
	Pipelines(ctx context.Context) ([]enos.Pipeline, error)
}

func pipelineOperations(api Pipelines) []*operation {
	scope := "org " + api.OrgID()
	status := func(ctx context.Context, r Request) (string, error) {
		p, err := api.Pipeline(ctx, r.Target.ID)
		return p.Status, err
	}
	act := func(a enos.Action, done, summary string, want string) *operation {
		return &operation{
			name: "pipeline " + string(a), usage: "<pipeline>", kind: "pipeline", summary: summary,
			prepare: func(_ context.Context, r *Request) error {
				r.Target.Provider, r.Target.Scope = ProviderEnOS, scope
				r.Call = fmt.Sprintf("EnOS POST /streaming/v2.0/streaming/pipeline/%s?action=%s&orgId=%s", r.Target.ID, a, api.OrgID())
				return nil
			},
			execute: func(ctx context.Context, r Request) (Outcome, error) {
				reqID, err := api.Operate(ctx, r.Target.ID, a)
				if err != nil {
					return Outcome{}, err
				}
				// EnOS answers with no job of its own: the pipeline is the job.
				return Outcome{JobID: r.Target.ID, RequestID: reqID}, nil
			},
			done: func(r Request, out Outcome) string {
				return fmt.Sprintf("%s pipeline %s: %s", done, r.Target.Name(), out.ids())
			},
			verb:  func(r Request) string { return fmt.Sprintf("%s pipeline %s", a, r.Target.Name()) },
			check: statusIs(status, want),
		}
	}
	return []*operation{
		act(enos.Pause, "Paused", "pause a running EnOS stream-processing pipeline", enos.StatusPaused),
		act(enos.Start, "Started", "start a published, stopped or paused pipeline", enos.StatusRunning),
		act(enos.Stop, "Stopped", "stop a running or paused pipeline", enos.StatusStopped),
		{
			name: "pipeline show", usage: "<pipeline>", kind: "pipeline", summary: "show a pipeline's status",
			read: func(ctx context.Context, r Request) (string, error) {
				p, err := api.Pipeline(ctx, r.Target.ID)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("Pipeline %s: %s (name %q, org %s)", r.Target.Name(), p.Status, p.Name, api.OrgID()), nil
			},
		},
		{
			name: "pipeline list", summary: "list the pipelines of the org",
			read: func(ctx context.Context, _ Request) (string, error) {
				ps, err := api.Pipelines(ctx)
				if err != nil {
					return "", err
				}
				if len(ps) == 0 {
					return fmt.Sprintf("Org %s has no pipelines.", api.OrgID()), nil
				}
				var b strings.Builder
				fmt.Fprintf(&b, "%s in org %s:\n", count(len(ps), "pipeline"), api.OrgID())
				for _, p := range ps {
					fmt.Fprintf(&b, "  %-40s %-10s %s\n", p.ID, p.Status, p.Name)
				}
				return strings.TrimRight(b.String(), "\n"), nil
			},
		},
	}
}
