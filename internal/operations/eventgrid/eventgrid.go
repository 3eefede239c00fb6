// Package eventgrid is the Huawei Cloud EventGrid provider's side of the
// catalogue: the stream and job operations, over the EventGrid client.
package eventgrid

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/streamops/streamops/internal/api"
	"github.com/streamops/streamops/internal/api/eg"
	"github.com/streamops/streamops/internal/operations/account"
	"github.com/streamops/streamops/internal/ops"
)

// Provider is the provider's name, as ops.Target.Provider names it.
const Provider = "EventGrid"

// API is the EventGrid API, as the stream and job commands use it (an
// *eg.Client).
type API interface {
	ProjectID() string
	Region() string
	OperateStreamCall(streamID, operation string) api.Call
	OperateStream(ctx context.Context, streamID, operation string) (eg.Result, error)
	Stream(ctx context.Context, id string) (eg.Stream, error)
	Streams(ctx context.Context) ([]eg.Stream, error)
	ActOnJobCall(jobID string, a eg.JobAction) api.Call
	ActOnJob(ctx context.Context, jobID string, a eg.JobAction) (eg.Result, error)
	Job(ctx context.Context, id string) (eg.Job, error)
	Jobs(ctx context.Context) ([]eg.Job, error)
	CreateJobCall(req eg.CreateJob) api.Call
	CreateJob(ctx context.Context, req eg.CreateJob) (eg.Job, string, error)
}

// Setup is the API and what the config adds to it: the operation strings
// the provider does not document, and the job templates.
type Setup struct {
	// Account is the name targets give the account; "" is the default one.
	Account    string
	API        API
	Operations eg.Operations
	Templates  map[string]eg.JobTemplate
}

// Operations are the stream and job operations, over each account's client.
type Operations struct{ sets []Setup }

// New offers the stream and job operations of the client's project, the
// one account.
func New(set Setup) Operations { return Accounts(set) }

// Accounts offers the stream and job operations of every account's
// project, each target's call sent through its account's client; a list
// covers them all.
func Accounts(sets ...Setup) Operations { return Operations{sets: sets} }

// Specs are the operations with no client, for their names and help: the
// policy and the alert rules are checked with them before any is configured.
func Specs() []ops.Spec { return New(Setup{}).Operations() }

const jobCreating = "CREATING"

// client is one account's client, by the account's name.
type client struct {
	API
	account string
}

// scope is where the account's targets live, as a card names it.
func (c client) scope() string {
	return account.Scope(c.account, fmt.Sprintf("region %s, project %s", c.Region(), c.ProjectID()))
}

// Operations implements ops.Provider. Nothing is read from the clients
// until an operation runs.
func (p Operations) Operations() []ops.Spec {
	each := make([]account.Specs, len(p.sets))
	for i, set := range p.sets {
		c := client{API: set.API, account: cmp.Or(set.Account, ops.DefaultAccount)}
		each[i] = account.Specs{Name: c.account, Scope: c.scope, Specs: p.specs(c, set)}
	}
	specs := account.Merge(each...)
	for i, s := range specs {
		if s.Name == "job create" {
			specs[i] = p.create(s)
		}
	}
	return specs
}

// specs are the operations of one account, over its client.
func (p Operations) specs(api client, set Setup) []ops.Spec {
	streamStatus := func(ctx context.Context, r ops.Request) (string, error) {
		st, err := api.Stream(ctx, r.Target.ID)
		return st.Status, err
	}
	jobStatus := func(ctx context.Context, r ops.Request) (string, error) {
		j, err := api.Job(ctx, r.Target.ID)
		return j.Status, err
	}
	paused := ops.StatusIs(streamStatus, eg.StreamStopped)
	paused.Note = " (EventGrid's word for paused)"
	return []ops.Spec{
		streamOp(api, eg.StreamStart, "start", "Started", "start an EventGrid event stream", ops.StatusIs(streamStatus, eg.StreamRunning), "stream pause"),
		streamOp(api, eg.StreamPause, "pause", "Paused", "pause an EventGrid event stream", paused, "stream start"),
		jobOp(api, "start", eg.JobStart, "Started", "start a professional event stream job", ops.StatusIs(jobStatus, "RUNNING"), ops.Routine, nil),
		jobOp(api, "stop", set.Operations.Stop, "Stopped", p.notSetUp("stop", "stop a professional event stream job"), ops.StatusIs(jobStatus, "STOPPED"), ops.Dangerous,
			ops.ReverseBy("job start")),
		switchSpec(api, set.Operations.Switch, p.notSetUp("switch", "switch a disaster-recovery job's source and target")),
		createSpec(api, set.Templates),
		{
			Name: "stream show", Provider: Provider, Usage: "<stream>", Kind: "stream", Summary: "show an event stream's status",
			Read: func(ctx context.Context, r ops.Request) (string, error) {
				st, err := api.Stream(ctx, r.Target.ID)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("Stream %s: %s (name %q, %s)", r.Target.Name(), st.Status, st.Name, api.scope()), nil
			},
		},
		{
			Name: "stream list", Provider: Provider, Summary: "list the event streams of the project",
			Lists: "stream", Entries: ops.EntriesOf(func(ctx context.Context) ([]eg.Stream, error) { return api.Streams(ctx) },
				func(st eg.Stream) ops.Entry { return ops.Entry{ID: st.ID, Name: st.Name, Status: st.Status} }),
			Read: func(ctx context.Context, _ ops.Request) (string, error) {
				sts, err := api.Streams(ctx)
				if err != nil {
					return "", err
				}
				lines := make([]string, 0, len(sts))
				for _, st := range sts {
					lines = append(lines, fmt.Sprintf("  %-40s %-10s %s", st.ID, st.Status, st.Name))
				}
				return ops.Listing(len(sts), "event stream", api.scope(), lines), nil
			},
		},
		{
			Name: "job show", Provider: Provider, Usage: "<job>", Kind: "job", Summary: "show a job's status, source and target",
			Read: func(ctx context.Context, r ops.Request) (string, error) {
				j, err := api.Job(ctx, r.Target.ID)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("Job %s: %s, source %s %s, target %s %s (name %q, %s)", r.Target.Name(), j.Status,
					j.SourceType, ops.OrUnknown(j.SourceAddress()), j.SinkType, ops.OrUnknown(j.SinkAddress()), j.Name, api.scope()), nil
			},
		},
		{
			Name: "job list", Provider: Provider, Summary: "list the professional event stream jobs of the project",
			Lists: "job", Entries: ops.EntriesOf(func(ctx context.Context) ([]eg.Job, error) { return api.Jobs(ctx) },
				func(j eg.Job) ops.Entry { return ops.Entry{ID: j.ID, Name: j.Name, Status: j.Status} }),
			Read: func(ctx context.Context, _ ops.Request) (string, error) {
				js, err := api.Jobs(ctx)
				if err != nil {
					return "", err
				}
				lines := make([]string, 0, len(js))
				for _, j := range js {
					lines = append(lines, fmt.Sprintf("  %-40s %-10s %s", j.ID, j.Status, j.Name))
				}
				return ops.Listing(len(js), "job", api.scope(), lines), nil
			},
		},
	}
}

// inScope is the Prepare of an operation that only says where its target is.
func inScope(api client) func(context.Context, *ops.Request) error {
	return func(_ context.Context, r *ops.Request) error {
		r.Target.Scope = api.scope()
		return nil
	}
}

func streamOp(api client, opString, verb, done, summary string, check *ops.StatusCheck, reverse string) ops.Spec {
	return ops.Spec{
		Name: "stream " + verb, Provider: Provider, Usage: "<stream>", Kind: "stream", Summary: summary,
		Prepare: inScope(api),
		Call:    func(r ops.Request) string { return api.OperateStreamCall(r.Target.ID, opString).String() },
		Execute: func(ctx context.Context, r ops.Request) (ops.Outcome, error) {
			res, err := api.OperateStream(ctx, r.Target.ID, opString)
			return ops.Outcome{JobID: res.ID, RequestID: res.RequestID}, err
		},
		Done: func(r ops.Request, out ops.Outcome) string {
			return fmt.Sprintf("%s stream %s: %s", done, r.Target.Name(), out.IDs())
		},
		Verb:  func(r ops.Request) string { return fmt.Sprintf("%s stream %s", verb, r.Target.Name()) },
		Check: check, Reverse: ops.ReverseBy(reverse),
	}
}

// jobOp is a job action; reverse undoes it, nil when nothing does.
func jobOp(api client, verb, opString, done, summary string, check *ops.StatusCheck, risk ops.Risk, reverse func(ops.Request) (string, bool)) ops.Spec {
	return ops.Spec{
		Name: "job " + verb, Provider: Provider, Usage: "<job>", Kind: "job", Summary: summary, Risk: risk,
		Prepare: func(ctx context.Context, r *ops.Request) error {
			if opString == "" {
				return api.notSetUp("job " + verb)
			}
			return inScope(api)(ctx, r)
		},
		Call: func(r ops.Request) string {
			return api.ActOnJobCall(r.Target.ID, eg.JobAction{Operation: opString}).String()
		},
		Execute: func(ctx context.Context, r ops.Request) (ops.Outcome, error) {
			res, err := api.ActOnJob(ctx, r.Target.ID, eg.JobAction{Operation: opString})
			return ops.Outcome{JobID: res.ID, RequestID: res.RequestID}, err
		},
		Done: func(r ops.Request, out ops.Outcome) string {
			return fmt.Sprintf("%s job %s: %s", done, r.Target.Name(), out.IDs())
		},
		Verb:  func(r ops.Request) string { return fmt.Sprintf("%s job %s", verb, r.Target.Name()) },
		Check: check, Reverse: reverse,
	}
}

// notSetUp marks in help a job command whose operation string the config
// lacks: for every account, or for the accounts named.
func (p Operations) notSetUp(verb, summary string) string {
	var missing []string
	for _, set := range p.sets {
		if operation(set.Operations, verb) == "" {
			missing = append(missing, cmp.Or(set.Account, ops.DefaultAccount))
		}
	}
	switch len(missing) {
	case 0:
		return summary
	case len(p.sets):
		return fmt.Sprintf("(not set up: needs eg.operations.%s) %s", verb, summary)
	}
	return fmt.Sprintf("(not set up in account %s: needs its operations.%s) %s", strings.Join(missing, ", "), verb, summary)
}

// operation is the operation string of the job command verb.
func operation(o eg.Operations, verb string) string {
	if verb == "switch" {
		return o.Switch
	}
	return o.Stop
}

// notSetUp refuses op, whose operation string the account's config lacks.
func (c client) notSetUp(op string) error {
	verb := strings.TrimPrefix(op, "job ")
	if c.account == ops.DefaultAccount {
		return ops.InputErrorf("%s is not set up here: eg.operations.%s in the config must name the provider's operation string", op, verb)
	}
	return ops.InputErrorf("%s is not set up in account %s: the account's operations.%s in the config must name the provider's operation string", op, c.account, verb)
}
