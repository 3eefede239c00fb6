package ops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Requestable are the state-changing operations user may ask for at origin
// under the policy, by name: what a front end offers to pick from.
func (s *Service) Requestable(ctx context.Context, user string, origin Origin) []Spec {
	may, _ := s.allowedCommands(ctx, user, origin.Channel)
	var specs []Spec
	for _, o := range may {
		if o.Changes() {
			specs = append(specs, o.Spec)
		}
	}
	return specs
}

// Entry is one target a provider's list call returned, and the account
// it is in (empty: DefaultAccount).
type Entry struct{ Account, ID, Name, Status string }

// EntriesOf makes a list operation's Entries from its client's list call
// and what an Entry takes of each item.
func EntriesOf[T any](list func(context.Context) ([]T, error), entry func(T) Entry) func(context.Context) ([]Entry, error) {
	return func(ctx context.Context) ([]Entry, error) {
		items, err := list(ctx)
		es := make([]Entry, 0, len(items))
		for _, it := range items {
			es = append(es, entry(it))
		}
		return es, err
	}
}

// Choice is a target a front end offers: the word a command takes for it
// (an alias, an ID, or "account/ID" outside the kind's default account)
// and what to show.
type Choice struct{ Word, Label string }

// listFor bounds how long a provider's list is reused: long enough for a
// person typing a name, short enough to offer a new target soon.
const listFor = 30 * time.Second

// listCache is what the providers' list calls returned, by kind of target.
type listCache struct {
	mu    sync.Mutex
	kinds map[string]listed
}

type listed struct {
	at      time.Time
	entries []Entry
}

// Choices are up to limit targets op may be asked for on whose alias, ID
// or name contains query (any case): the configured aliases first, then,
// if op takes a group, the groups holding a target of its kind, then what
// the providers list that no alias stands for. When a list call fails the
// aliases and groups are still given, with the error.
func (s *Service) Choices(ctx context.Context, op Spec, query string, limit int) ([]Choice, error) {
	kind := op.Kind
	q := strings.ToLower(strings.TrimSpace(query))
	matches := func(parts ...string) bool {
		return slices.ContainsFunc(parts, func(p string) bool { return strings.Contains(strings.ToLower(p), q) })
	}
	aliases := s.set.Targets[kind]
	var out []Choice
	for _, alias := range sortedKeys(aliases) {
		if len(out) == limit {
			return out, nil
		}
		if matches(alias, aliases[alias]) {
			out = append(out, Choice{Word: alias, Label: alias + " (" + aliases[alias] + ")"})
		}
	}
	home := s.dir.DefaultAccountOf(kind)
	if op.TakesGroup() {
		for _, name := range sortedKeys(s.dir.Groups) {
			if len(out) == limit {
				return out, nil
			}
			members, _ := s.dir.Group(name) // every group was checked when the service started
			var held []string
			for _, t := range members {
				if t.Kind == kind {
					held = append(held, cmp.Or(t.Alias, typed(t.Account, t.ID, home)))
				}
			}
			word := GroupPrefix + name
			if len(held) > 0 && (matches(word) || matches(held...)) {
				out = append(out, Choice{Word: word, Label: fmt.Sprintf("%s (%s: %s)", word, Count(len(held), kind), strings.Join(held, ", "))})
			}
		}
	}
	// An alias stands for "ID" in the kind's default account or for
	// "account/ID": named holds both as "account/ID".
	named := make(map[string]bool, len(aliases))
	for _, to := range aliases {
		if !strings.Contains(to, "/") {
			to = home + "/" + to
		}
		named[to] = true
	}
	entries, err := s.entries(ctx, kind)
	for _, e := range entries {
		if len(out) == limit {
			break
		}
		account := cmp.Or(e.Account, DefaultAccount)
		word := typed(account, e.ID, home)
		if !ValidID(e.ID) || named[account+"/"+e.ID] || !matches(word, e.Name) {
			continue
		}
		label := word
		if e.Name != "" {
			label = e.Name + " (" + word + ")"
		}
		if e.Status != "" {
			label += ", " + e.Status
		}
		out = append(out, Choice{Word: word, Label: label})
	}
	return out, err
}

// typed is how a command names the target id in account (empty: the
// default account), where home is its kind's default account.
func typed(account, id, home string) string {
	if account = cmp.Or(account, DefaultAccount); account != home {
		return account + "/" + id
	}
	return id
}

// entries are the targets of kind the providers list, read at most once
// per listFor.
func (s *Service) entries(ctx context.Context, kind string) ([]Entry, error) {
	now := s.now()
	c := &s.listed
	c.mu.Lock()
	l, ok := c.kinds[kind]
	c.mu.Unlock()
	if ok && now.Sub(l.at) < listFor {
		return l.entries, nil
	}
	var all []Entry
	var errs []error
	for _, o := range s.catalogue.sorted() {
		if o.Spec.Lists != kind || o.Spec.Entries == nil {
			continue
		}
		es, err := o.Spec.Entries(ctx)
		all = append(all, es...) // with several accounts, those that answered
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s", o.Name, FailureText(err)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return all, err // not kept: the next keystroke tries again
	}
	c.mu.Lock()
	if c.kinds == nil {
		c.kinds = map[string]listed{}
	}
	c.kinds[kind] = listed{at: now, entries: all}
	c.mu.Unlock()
	return all, nil
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// Check tells whether in would be taken as a request, without reading a
// provider or storing anything: its words, its target and the policy. A
// front end that must answer at once (a form being submitted) checks first
// and then hands in to Handle, which decides again.
func (s *Service) Check(ctx context.Context, in Input) error {
	cmd, err := ParseCommand(in.Text)
	if err != nil {
		return err
	}
	_, _, err = s.allowed(ctx, cmd, in)
	return err
}
