package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/streamops/streamops/internal/api/eg"
)

// EventGrid is the Huawei Cloud EventGrid API, as the stream and job
// commands use it.
type EventGrid interface {
	ProjectID() string
	Region() string
	OperateStream(ctx context.Context, streamID, operation string) (eg.Result, error)
	Stream(ctx context.Context, id string) (eg.Stream, error)
	Streams(ctx context.Context) ([]eg.Stream, error)
	ActOnJob(ctx context.Context, jobID string, a eg.JobAction) (eg.Result, error)
	Job(ctx context.Context, id string) (eg.Job, error)
	Jobs(ctx context.Context) ([]eg.Job, error)
	CreateJob(ctx context.Context, req eg.CreateJob) (eg.Job, string, error)
}

// EventGridSetup is the API and what the config adds to it: the operation
// strings the provider does not document, and the job templates.
type EventGridSetup struct {
	API        EventGrid
	Operations eg.Operations
	Templates  map[string]eg.JobTemplate
}

const jobCreating = "CREATING"

func eventGridOperations(set EventGridSetup) []*operation {
	api := set.API
	scope := fmt.Sprintf("region %s, project %s", api.Region(), api.ProjectID())
	describe := func(r *Request, call string) {
		r.Target.Provider, r.Target.Scope = ProviderEventGrid, scope
		r.Call = "EventGrid " + call
	}
	streamStatus := func(ctx context.Context, r Request) (string, error) {
		st, err := api.Stream(ctx, r.Target.ID)
		return st.Status, err
	}
	jobStatus := func(ctx context.Context, r Request) (string, error) {
		j, err := api.Job(ctx, r.Target.ID)
		return j.Status, err
	}
	streamOp := func(opString, verb, done, summary, want, note string) *operation {
		return &operation{
			name: "stream " + verb, usage: "<stream>", kind: "stream", summary: summary,
			prepare: func(_ context.Context, r *Request) error {
				describe(r, fmt.Sprintf(`POST /v1/%s/eventstreamings/operate/%s {"operation":%q}`, api.ProjectID(), r.Target.ID, opString))
				return nil
			},
			execute: func(ctx context.Context, r Request) (Outcome, error) {
				res, err := api.OperateStream(ctx, r.Target.ID, opString)
				return Outcome{JobID: res.ID, RequestID: res.RequestID}, err
			},
			done: func(r Request, out Outcome) string {
				return fmt.Sprintf("%s stream %s: %s", done, r.Target.Name(), out.ids())
			},
			verb:  func(r Request) string { return fmt.Sprintf("%s stream %s", verb, r.Target.Name()) },
			check: withNote(statusIs(streamStatus, want), note),
		}
	}
	jobOp := func(verb, opString, done, summary, want string) *operation {
		return &operation{
			name: "job " + verb, usage: "<job>", kind: "job", summary: notSetUp(opString, verb, summary),
			prepare: func(_ context.Context, r *Request) error {
				if opString == "" {
					return inputErrorf("job %s is not set up here: eg.operations.%s in the config must name the provider's operation string", verb, verb)
				}
				describe(r, fmt.Sprintf(`POST /v1/%s/eventrouter/jobs/%s/action {"operation":%q}`, api.ProjectID(), r.Target.ID, opString))
				return nil
			},
			execute: func(ctx context.Context, r Request) (Outcome, error) {
				res, err := api.ActOnJob(ctx, r.Target.ID, eg.JobAction{Operation: opString})
				return Outcome{JobID: res.ID, RequestID: res.RequestID}, err
			},
			done: func(r Request, out Outcome) string {
				return fmt.Sprintf("%s job %s: %s", done, r.Target.Name(), out.ids())
			},
			verb:  func(r Request) string { return fmt.Sprintf("%s job %s", verb, r.Target.Name()) },
			check: statusIs(jobStatus, want),
		}
	}
	return []*operation{
		streamOp(eg.StreamStart, "start", "Started", "start an EventGrid event stream", eg.StreamRunning, ""),
		streamOp(eg.StreamPause, "pause", "Paused", "pause an EventGrid event stream", eg.StreamStopped,
			" (EventGrid's word for paused)"),
		jobOp("start", eg.JobStart, "Started", "start a professional event stream job", "RUNNING"),
		jobOp("stop", set.Operations.Stop, "Stopped", "stop a professional event stream job", "STOPPED"),
		switchOperation(api, set.Operations.Switch, describe),
		createOperation(api, set.Templates, describe),
		{
			name: "stream show", usage: "<stream>", kind: "stream", summary: "show an event stream's status",
			read: func(ctx context.Context, r Request) (string, error) {
				st, err := api.Stream(ctx, r.Target.ID)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("Stream %s: %s (name %q, %s)", r.Target.Name(), st.Status, st.Name, scope), nil
			},
		},
		{
			name: "stream list", summary: "list the event streams of the project",
			read: func(ctx context.Context, _ Request) (string, error) {
				sts, err := api.Streams(ctx)
				if err != nil {
					return "", err
				}
				lines := make([]string, 0, len(sts))
				for _, st := range sts {
					lines = append(lines, fmt.Sprintf("  %-40s %-10s %s", st.ID, st.Status, st.Name))
				}
				return listing(len(sts), "event stream", scope, lines), nil
			},
		},
		{
			name: "job show", usage: "<job>", kind: "job", summary: "show a job's status, source and target",
			read: func(ctx context.Context, r Request) (string, error) {
				j, err := api.Job(ctx, r.Target.ID)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("Job %s: %s, source %s %s, target %s %s (name %q, %s)", r.Target.Name(), j.Status,
					j.SourceType, orUnknown(j.SourceAddress()), j.SinkType, orUnknown(j.SinkAddress()), j.Name, scope), nil
			},
		},
		{
			name: "job list", summary: "list the professional event stream jobs of the project",
			read: func(ctx context.Context, _ Request) (string, error) {
				js, err := api.Jobs(ctx)
				if err != nil {
					return "", err
				}
				lines := make([]string, 0, len(js))
				for _, j := range js {
					lines = append(lines, fmt.Sprintf("  %-40s %-10s %s", j.ID, j.Status, j.Name))
				}
				return listing(len(js), "job", scope, lines), nil
			},
		},
	}
}

// switchOperation is the disaster-recovery switchover, the riskiest command:
// sent twice it switches back. The card says what it will do, from the job as
// read before the card; the call is only sent if the job still reads so.
func switchOperation(api EventGrid, opString string, describe func(*Request, string)) *operation {
	// effect says what sending sink does to a job with these addresses.
	effect := func(j eg.Job, sink []string) (swap bool, err error) {
		switch {
		case sameAddresses(sink, j.SourceAddress()):
			return true, nil
		case sameAddresses(sink, j.SinkAddress()):
			return false, nil
		}
		return false, inputErrorf("sink=%s matches neither the job's source (%s) nor its target (%s), so EventGrid would refuse it: nothing was sent",
			strings.Join(sink, ","), j.SourceAddress(), j.SinkAddress())
	}
	return &operation{
		name: "job switch", usage: "<job> [sink=<addr,...>] [now]", kind: "job", keys: []string{"sink"}, flags: []string{"now"},
		summary: notSetUp(opString, "switch", "switch a disaster-recovery job's source and target"),
		prepare: func(ctx context.Context, r *Request) error {
			if opString == "" {
				return inputErrorf("job switch is not set up here: eg.operations.switch in the config must name the provider's operation string")
			}
			j, err := api.Job(ctx, r.Target.ID)
			if err != nil {
				return fmt.Errorf("could not read job %s to show what the switch would do, so nothing was asked: %s", r.Target.Name(), failureOf(err).Text())
			}
			if j.SourceAddress() == "" || j.SinkAddress() == "" {
				return inputErrorf("job %s does not report both its source and target address, so what a switchover would do cannot be shown: nothing was sent", r.Target.Name())
			}
			// Without sink= the switch sends the current source, as reported: the switchover.
			sink, swap := j.SourceAddress(), true
			if given, typed := r.Args["sink"]; typed {
				addrs, err := parseAddresses(given)
				if err != nil {
					return inputErrorf("sink=: %s", err.Error())
				}
				if swap, err = effect(j, addrs); err != nil {
					return err
				}
				sink = strings.Join(addrs, ",")
			}
			if r.Args == nil {
				r.Args = map[string]string{}
			}
			r.Args["sink"] = sink
			r.Seen = map[string]string{"source": j.SourceAddress(), "target": j.SinkAddress(), "swap": strconv.FormatBool(swap)}
			r.Details = append(r.Details,
				Field{"Current source", j.SourceAddress()},
				Field{"Current target", j.SinkAddress()},
				Field{"Effect", switchEffect(swap, j.SourceAddress(), j.SinkAddress())},
			)
			body, err := json.Marshal(switchAction(opString, *r))
			if err != nil {
				return err
			}
			describe(r, fmt.Sprintf("POST /v1/%s/eventrouter/jobs/%s/action %s", api.ProjectID(), r.Target.ID, body))
			return nil
		},
		execute: func(ctx context.Context, r Request) (Outcome, error) {
			j, err := api.Job(ctx, r.Target.ID)
			if err != nil {
				return Outcome{}, fmt.Errorf("could not read the job again before switching, so nothing was sent: %w", err)
			}
			if j.SourceAddress() != r.Seen["source"] || j.SinkAddress() != r.Seen["target"] {
				return Outcome{}, fmt.Errorf("the job changed since the card was made (source now %s, target %s): nothing was sent. Ask again to see what a switch would do now",
					j.SourceAddress(), j.SinkAddress())
			}
			res, err := api.ActOnJob(ctx, r.Target.ID, switchAction(opString, r))
			return Outcome{JobID: res.ID, RequestID: res.RequestID}, err
		},
		done: func(r Request, out Outcome) string {
			if r.Seen["swap"] != "true" {
				return fmt.Sprintf("Sent the switch to job %s; nothing was switched, as the card said (target stays %s): %s", r.Target.Name(), r.Seen["target"], out.ids())
			}
			return fmt.Sprintf("Switched job %s: now source %s -> target %s (was %s -> %s), %s",
				r.Target.Name(), r.Seen["target"], r.Seen["source"], r.Seen["source"], r.Seen["target"], out.ids())
		},
		verb: func(r Request) string { return fmt.Sprintf("switch job %s", r.Target.Name()) },
		check: &statusCheck{
			status: func(ctx context.Context, r Request) (string, error) {
				j, err := api.Job(ctx, r.Target.ID)
				return fmt.Sprintf("source %s, target %s", j.SourceAddress(), j.SinkAddress()), err
			},
			reached: func(r Request, status string) bool {
				if r.Seen["swap"] != "true" {
					return status == fmt.Sprintf("source %s, target %s", r.Seen["source"], r.Seen["target"])
				}
				return status == fmt.Sprintf("source %s, target %s", r.Seen["target"], r.Seen["source"])
			},
			want:   "source and target as the card said",
			phrase: "has",
		},
	}
}

// switchAction is the call the card shows and the confirmation sends.
func switchAction(operation string, r Request) eg.JobAction {
	return eg.JobAction{Operation: operation, Config: &eg.ActionConfig{
		SwitchNow: slices.Contains(r.Flags, "now"), SinkAddress: r.Args["sink"],
	}}
}

func withNote(c *statusCheck, note string) *statusCheck {
	c.note = note
	return c
}

// notSetUp marks in help a job command whose operation string the config lacks.
func notSetUp(opString, verb, summary string) string {
	if opString == "" {
		return fmt.Sprintf("(not set up: needs eg.operations.%s) %s", verb, summary)
	}
	return summary
}

func switchEffect(swap bool, source, target string) string {
	if swap {
		return fmt.Sprintf("source and target swap: the source becomes %s, the target %s", target, source)
	}
	return fmt.Sprintf("nothing changes: %s is already the target", target)
}

// createOperation makes a job from a template of the config. The request
// keeps only the template's name; the body, with its passwords, is rendered
// again when the request is carried out, so no secret is stored.
func createOperation(api EventGrid, templates map[string]eg.JobTemplate, describe func(*Request, string)) *operation {
	render := func(r Request) (eg.CreateJob, error) {
		name := r.Args["template"]
		t, ok := templates[name]
		if !ok {
			known := make([]string, 0, len(templates))
			for k := range templates {
				known = append(known, k)
			}
			slices.Sort(known)
			if len(known) == 0 {
				return eg.CreateJob{}, inputErrorf("no job templates are configured (eg.templates)")
			}
			return eg.CreateJob{}, inputErrorf("unknown template %q. Known: %s", name, strings.Join(known, ", "))
		}
		job, err := t.Render(r.Target.Alias, r.Args["description"], nil)
		if err != nil {
			return eg.CreateJob{}, &InputError{Msg: err.Error()}
		}
		return job, nil
	}
	return &operation{
		name: "job create", usage: "<name> template=<t> [description=...]", named: true, keys: []string{"template", "description"},
		summary: "create a disaster-recovery job from a template",
		prepare: func(_ context.Context, r *Request) error {
			if _, ok := r.Args["template"]; !ok {
				return inputErrorf("which template? usage: job create <name> template=<t> [description=...]")
			}
			job, err := render(*r)
			if err != nil {
				return err
			}
			body, err := json.MarshalIndent(job.Masked(), "", "  ")
			if err != nil {
				return err
			}
			r.Details = append(r.Details, Field{"Body (passwords masked)", string(body)})
			describe(r, fmt.Sprintf("POST /v1/%s/eventrouter/jobs", api.ProjectID()))
			return nil
		},
		execute: func(ctx context.Context, r Request) (Outcome, error) {
			job, err := render(r)
			if err != nil {
				return Outcome{}, err
			}
			created, reqID, err := api.CreateJob(ctx, job)
			return Outcome{JobID: created.ID, RequestID: reqID}, err
		},
		done: func(r Request, out Outcome) string {
			return fmt.Sprintf("Created job %s: %s", r.Target.Name(), out.ids())
		},
		verb: func(r Request) string { return fmt.Sprintf("create job %s", r.Target.Alias) },
		check: &statusCheck{
			status: func(ctx context.Context, r Request) (string, error) {
				j, err := api.Job(ctx, r.Target.ID)
				return j.Status, err
			},
			reached: func(_ Request, s string) bool { return s != jobCreating },
			want:    "no longer " + jobCreating,
		},
	}
}

// listing heads the lines of a list with their count, as "1 job" or "2 jobs".
func listing(n int, what, scope string, lines []string) string {
	if n == 0 {
		return fmt.Sprintf("No %ss in %s.", what, scope)
	}
	return fmt.Sprintf("%s in %s:\n%s", count(n, what), scope, strings.Join(lines, "\n"))
}

// count is n things in words: "1 pipeline", "2 pipelines".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
