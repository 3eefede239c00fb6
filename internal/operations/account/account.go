// Package account is what the providers' operations share about accounts:
// each target's call goes through its own account's client, and a list
// covers every account without one failed account hiding the others.
package account

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/streamops/streamops/internal/ops"
)

// Specs are one account's operations: the provider's specs over the
// account's client.
type Specs struct {
	Name string // as targets name it; ops.DefaultAccount for the default
	// Scope is where its targets live, as Scope words it; read only when
	// a list names the account, as the client is not read before a call.
	Scope func() string
	Specs []ops.Spec
}

// Scope is where an account's targets live, as cards, replies and the
// audit trail name it: the default account's as it was before there were
// accounts ("org o1"), another's after its name ("account sh, org o2").
func Scope(account, where string) string {
	if cmp.Or(account, ops.DefaultAccount) == ops.DefaultAccount {
		return where
	}
	return "account " + account + ", " + where
}

// Merge makes one provider's specs from each account's, which list the
// same operations in the same order: each spec's calls, reads and status
// checks go to the spec of the target's account, and a list covers every
// account. Names, help and wording are the first account's.
func Merge(accounts ...Specs) []ops.Spec {
	m := merger(accounts)
	out := make([]ops.Spec, len(accounts[0].Specs))
	for i := range out {
		out[i] = m.spec(i)
	}
	return out
}

type merger []Specs

// of is spec i of t's account. The directory refuses a target of an
// account the config lacks before any spec sees it: this guards the
// wiring, the config's accounts and the providers' being the same.
func (m merger) of(i int, t ops.Target) (ops.Spec, error) {
	name := cmp.Or(t.Account, ops.DefaultAccount)
	names := make([]string, len(m))
	for j, a := range m {
		if a.Name == name {
			return a.Specs[i], nil
		}
		names[j] = a.Name
	}
	s := m[0].Specs[i]
	return ops.Spec{}, fmt.Errorf("%s has no account %q for %s: its accounts are %s", s.Provider, name, s.Name, strings.Join(names, ", "))
}

func (m merger) spec(i int) ops.Spec {
	s := m[0].Specs[i]
	if s.Prepare != nil {
		s.Prepare = func(ctx context.Context, r *ops.Request) error {
			a, err := m.of(i, r.Target)
			if err != nil {
				return err
			}
			return a.Prepare(ctx, r)
		}
	}
	if s.Call != nil {
		// Only called once Prepare, which refuses an unknown account, took r.
		s.Call = func(r ops.Request) string {
			a, err := m.of(i, r.Target)
			if err != nil {
				return err.Error()
			}
			return a.Call(r)
		}
	}
	if s.Execute != nil {
		s.Execute = func(ctx context.Context, r ops.Request) (ops.Outcome, error) {
			a, err := m.of(i, r.Target)
			if err != nil {
				return ops.Outcome{}, err
			}
			return a.Execute(ctx, r)
		}
	}
	if s.Check != nil {
		c := *s.Check
		c.Status = func(ctx context.Context, r ops.Request) (string, error) {
			a, err := m.of(i, r.Target)
			if err != nil {
				return "", err
			}
			return a.Check.Status(ctx, r)
		}
		s.Check = &c
	}
	switch {
	case s.Lists != "":
		s.Read, s.Entries = m.list(i), m.entries(i)
	case s.Read != nil:
		s.Read = func(ctx context.Context, r ops.Request) (string, error) {
			a, err := m.of(i, r.Target)
			if err != nil {
				return "", err
			}
			return a.Read(ctx, r)
		}
	}
	return s
}

// list is list spec i over every account: one section each, in the
// config's order, a failed account named with its error in its place.
// Only when every account fails is the list an error; with one account it
// is that account's list, as it was before there were accounts.
func (m merger) list(i int) func(ctx context.Context, r ops.Request) (string, error) {
	return func(ctx context.Context, r ops.Request) (string, error) {
		if len(m) == 1 {
			return m[0].Specs[i].Read(ctx, r)
		}
		texts := make([]string, len(m))
		errs := m.each(ctx, func(ctx context.Context, j int) (err error) {
			texts[j], err = m[j].Specs[i].Read(ctx, r)
			return err
		})
		if err := m.allFailed(errs); err != nil {
			return "", err
		}
		for j, err := range errs {
			if err != nil {
				texts[j] = fmt.Sprintf("%s failed in %s: %s", m[j].Specs[i].Name, m[j].Scope(), ops.FailureText(err))
			}
		}
		return strings.Join(texts, "\n\n"), nil
	}
}

// entries are list spec i's entries of every account, each naming its
// account. An account that fails is named in the error; the others'
// entries are still returned.
func (m merger) entries(i int) func(ctx context.Context) ([]ops.Entry, error) {
	if m[0].Specs[i].Entries == nil {
		return nil
	}
	return func(ctx context.Context) ([]ops.Entry, error) {
		lists := make([][]ops.Entry, len(m))
		errs := m.each(ctx, func(ctx context.Context, j int) (err error) {
			lists[j], err = m[j].Specs[i].Entries(ctx)
			for k := range lists[j] {
				lists[j][k].Account = m[j].Name
			}
			return err
		})
		all := slices.Concat(lists...)
		if len(m) == 1 {
			return all, errs[0]
		}
		if failed := m.failures(errs); len(failed) > 0 {
			return all, errors.New(strings.Join(failed, "; "))
		}
		return all, nil
	}
}

// each runs read for every account at once, so that a slow account
// delays a list by its own time only, and returns each account's error.
func (m merger) each(ctx context.Context, read func(ctx context.Context, j int) error) []error {
	errs := make([]error, len(m))
	var wg sync.WaitGroup
	for j := range m {
		wg.Go(func() { errs[j] = read(ctx, j) })
	}
	wg.Wait()
	return errs
}

// allFailed is the error of a list every account failed, naming each; nil
// when one answered.
func (m merger) allFailed(errs []error) error {
	failed := m.failures(errs)
	if len(failed) < len(m) {
		return nil
	}
	return errors.New("every account failed: " + strings.Join(failed, "; "))
}

// failures name each account that failed with what its provider said.
func (m merger) failures(errs []error) []string {
	var out []string
	for j, err := range errs {
		if err != nil {
			out = append(out, "in "+m[j].Scope()+": "+ops.FailureText(err))
		}
	}
	return out
}
