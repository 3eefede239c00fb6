package eventgrid

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/streamops/streamops/internal/api/eg"
	"github.com/streamops/streamops/internal/ops"
)

// createSpec makes a job from a template of the config. The request keeps
// only the template's name; the body, with its passwords, is rendered again
// when the request is carried out, so no secret is stored.
func createSpec(api API, templates map[string]eg.JobTemplate) ops.Spec {
	names := make([]string, 0, len(templates))
	for k := range templates {
		names = append(names, k)
	}
	slices.Sort(names)
	render := func(r ops.Request) (eg.CreateJob, error) {
		t, ok := templates[r.Args["template"]]
		if !ok {
			if len(names) == 0 {
				return eg.CreateJob{}, ops.InputErrorf("no job templates are configured (eg.templates)")
			}
			return eg.CreateJob{}, ops.InputErrorf("unknown template %q. Known: %s", r.Args["template"], strings.Join(names, ", "))
		}
		job, err := t.Render(r.Target.Alias, r.Args["description"], nil)
		if err != nil {
			return eg.CreateJob{}, &ops.InputError{Msg: err.Error()}
		}
		return job, nil
	}
	return ops.Spec{
		Name: "job create", Provider: Provider, Usage: "<name> template=<t> [description=...]", Named: true,
		Params: []ops.Param{
			{Name: "template", Type: ops.ParamChoice, Values: names},
			{Name: "description", Type: ops.ParamText},
		},
		Summary: "create a disaster-recovery job from a template",
		Risk:    ops.Dangerous,
		Prepare: func(_ context.Context, r *ops.Request) error {
			if _, ok := r.Args["template"]; !ok {
				return ops.InputErrorf("which template? usage: job create <name> template=<t> [description=...]")
			}
			job, err := render(*r)
			if err != nil {
				return err
			}
			body, err := json.MarshalIndent(job.Masked(), "", "  ")
			if err != nil {
				return err
			}
			r.Target.Scope = scope(api)
			r.Details = append(r.Details, ops.Field{Label: "Body (passwords masked)", Value: string(body)})
			return nil
		},
		Call: func(ops.Request) string {
			call := api.CreateJobCall(eg.CreateJob{})
			call.Body = nil // it holds passwords: the card shows it masked, as its own field
			return call.String()
		},
		Execute: func(ctx context.Context, r ops.Request) (ops.Outcome, error) {
			job, err := render(r)
			if err != nil {
				return ops.Outcome{}, err
			}
			created, reqID, err := api.CreateJob(ctx, job)
			return ops.Outcome{JobID: created.ID, RequestID: reqID}, err
		},
		Done: func(r ops.Request, out ops.Outcome) string {
			return fmt.Sprintf("Created job %s: %s", r.Target.Name(), out.IDs())
		},
		Verb: func(r ops.Request) string { return fmt.Sprintf("create job %s", r.Target.Alias) },
		Check: &ops.StatusCheck{
			Status: func(ctx context.Context, r ops.Request) (string, error) {
				j, err := api.Job(ctx, r.Target.ID)
				return j.Status, err
			},
			Reached: func(_ ops.Request, s string) bool { return s != jobCreating },
			Want:    "no longer " + jobCreating,
		},
	}
}
