package eventgrid

import (
	"cmp"
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
func createSpec(api client, templates map[string]eg.JobTemplate) ops.Spec {
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
			r.Target.Scope = api.scope()
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

// create is job create over every account. A job is created in the
// account whose template it names: template=<t> when only one account has
// a template t, template=<account>/<t> to pick among accounts that each
// have one. The request keeps the template's own name and the account in
// its target, as each account's create renders and sends it.
func (p Operations) create(s ops.Spec) ops.Spec {
	words := p.templateWords()
	s.Params = slices.Clone(s.Params)
	s.Params[0].Values = words
	prepare := s.Prepare
	s.Prepare = func(ctx context.Context, r *ops.Request) error {
		if given, ok := r.Args["template"]; ok {
			account, name, err := p.templateOf(given, words)
			if err != nil {
				return err
			}
			r.Args["template"] = name
			if account != ops.DefaultAccount {
				r.Target.Account = account
			}
		}
		return prepare(ctx, r)
	}
	return s
}

// templateWords are what template= takes, sorted: each template's name,
// after its account and "/" when another account has one of that name.
func (p Operations) templateWords() []string {
	in := map[string]int{}
	for _, set := range p.sets {
		for name := range set.Templates {
			in[name]++
		}
	}
	var words []string
	for _, set := range p.sets {
		for name := range set.Templates {
			if in[name] > 1 {
				name = cmp.Or(set.Account, ops.DefaultAccount) + "/" + name
			}
			words = append(words, name)
		}
	}
	slices.Sort(words)
	return words
}

// templateOf is the account and the template's own name of what
// template= says.
func (p Operations) templateOf(given string, words []string) (account, name string, err error) {
	unknown := func() error {
		if len(words) == 0 {
			return ops.InputErrorf("no job templates are configured (eg.templates)")
		}
		return ops.InputErrorf("unknown template %q. Known: %s", given, strings.Join(words, ", "))
	}
	account, name, qualified := strings.Cut(given, "/")
	if qualified {
		for _, set := range p.sets {
			if cmp.Or(set.Account, ops.DefaultAccount) == account {
				if _, ok := set.Templates[name]; ok {
					return account, name, nil
				}
			}
		}
		return "", "", unknown()
	}
	var in []string
	for _, set := range p.sets {
		if _, ok := set.Templates[given]; ok {
			in = append(in, cmp.Or(set.Account, ops.DefaultAccount))
		}
	}
	switch len(in) {
	case 0:
		return "", "", unknown()
	case 1:
		return in[0], given, nil
	}
	return "", "", ops.InputErrorf("accounts %s each have a template %q: say which account the job is created in with template=%s/%s",
		strings.Join(in, " and "), given, in[0], given)
}
