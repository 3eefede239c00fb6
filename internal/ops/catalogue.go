package ops

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// operation is one command of the catalogue as the engine carries it out:
// a provider's Spec, or a built-in command.
type operation struct {
	name     string // the words that name it: "pipeline pause"
	usage    string // what follows the name: "<pipeline>"
	summary  string
	kind     string // the kind of target it takes; "" for none
	provider string
	// named: the first word after the operation's name names a new resource.
	named bool
	keys  []string // allowed key=value arguments
	flags []string // allowed bare words after the target
	// subject: one optional word after the name, kept in Args["target"].
	subject bool

	// A state-changing operation has execute; a read-only one has read.
	execute func(ctx context.Context, r Request) (Outcome, error)
	read    func(ctx context.Context, r Request) (string, error)
	// timeline, instead of read, answers with a timeline to show to all.
	timeline func(ctx context.Context, r Request) (Timeline, error)
	// prepare fills in r.Details before the card is shown; it may read
	// the provider and refuse the request.
	prepare func(ctx context.Context, r *Request) error
	// call is the call the client will send, for the card.
	call func(r Request) string
	// done describes a success, e.g. "Paused pipeline orders-etl (p-1):
	// job ID p-1, request ID 2a1c".
	done func(r Request, out Outcome) string
	// verb describes the attempt, for failures: "pause pipeline orders-etl (p-1)".
	verb func(r Request) string
	// check reads the target's status after a success and says whether it
	// has reached what the operation asked for.
	check *statusCheck
	// spec is what the operation was made from, for front ends.
	spec Spec
}

// fromSpec is the engine's view of a provider's operation.
func fromSpec(sp Spec) *operation {
	o := &operation{
		name: sp.Name, usage: sp.Usage, summary: sp.Summary, kind: sp.Kind, provider: sp.Provider,
		named: sp.Named, flags: sp.Flags,
		execute: sp.Execute, read: sp.Read, prepare: sp.Prepare, call: sp.Call, done: sp.Done, verb: sp.Verb,
		spec: sp,
	}
	for _, p := range sp.Params {
		o.keys = append(o.keys, p.Name)
	}
	if c := sp.Check; c != nil {
		o.check = &statusCheck{status: c.Status, reached: c.Reached, want: c.Want, phrase: c.Phrase, note: c.Note}
	}
	return o
}

type statusCheck struct {
	status  func(ctx context.Context, r Request) (string, error)
	reached func(r Request, status string) bool
	want    string // what reached looks for, in words
	// phrase joins the target and its status in the follow-up: "is" unless set.
	phrase string
	// note follows the status in the follow-up when it is reached.
	note string
}

func (c *statusCheck) verb() string {
	if c.phrase == "" {
		return "is"
	}
	return c.phrase
}

func (o *operation) changes() bool { return o.execute != nil }

// catalogue is the set of operations the configured providers make possible.
type catalogue struct {
	byName map[string]*operation
}

func (c *catalogue) add(ops ...*operation) {
	if c.byName == nil {
		c.byName = map[string]*operation{}
	}
	for _, o := range ops {
		if o.spec.Name == "" { // a built-in: front ends see it as a spec too
			o.spec = Spec{Name: o.name, Usage: o.usage, Summary: o.summary}
		}
		c.byName[o.name] = o
	}
}

func (c *catalogue) addSpecs(specs []Spec) {
	for _, sp := range specs {
		c.add(fromSpec(sp))
	}
}

// lookup finds the operation named by the first words of cmd, and returns
// the words after its name.
func (c *catalogue) lookup(words []string) (*operation, []string, error) {
	for n := min(2, len(words)); n >= 1; n-- {
		if o, ok := c.byName[commandName(words[:n])]; ok {
			return o, words[n:], nil
		}
	}
	var group []string
	for _, o := range c.sorted() {
		if strings.HasPrefix(o.name, words[0]+" ") {
			group = append(group, o.name)
		}
	}
	if len(group) > 0 {
		return nil, nil, inputErrorf("unknown command %q. With %s you can: %s", strings.Join(words[:min(2, len(words))], " "), words[0], strings.Join(group, ", "))
	}
	return nil, nil, inputErrorf("unknown command %q: type `help` to see what I can do", words[0])
}

func (c *catalogue) sorted() []*operation {
	ops := make([]*operation, 0, len(c.byName))
	for _, o := range c.byName {
		ops = append(ops, o)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].name < ops[j].name })
	return ops
}

// Targets maps each kind of target (pipeline, stream, job) to its aliases and
// the provider IDs they stand for.
type Targets map[string]map[string]string

var (
	aliasPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)
	// An ID is what providers hand out: letters, digits, '-', '_' and '.'.
	// A word typed as a target is only taken for one if it also has a digit.
	idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
)

// ValidAlias reports whether s may be used as an alias in the config.
func ValidAlias(s string) bool { return aliasPattern.MatchString(s) }

// ValidID reports whether s has the shape of a provider ID.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// resolve turns what a person typed into a target of the given kind: an
// alias from the config, or a provider ID.
func (t Targets) resolve(kind, word string) (Target, error) {
	if id, ok := t[kind][word]; ok {
		return Target{Kind: kind, Alias: word, ID: id}, nil
	}
	for alias, id := range t[kind] {
		if id == word {
			return Target{Kind: kind, Alias: alias, ID: id}, nil
		}
	}
	if idPattern.MatchString(word) && strings.ContainsAny(word, "0123456789") {
		return Target{Kind: kind, ID: word}, nil
	}
	if !idPattern.MatchString(word) {
		return Target{}, inputErrorf("%q is not a valid %s ID or alias: IDs are letters, digits, '-', '_' and '.'", word, kind)
	}
	known := make([]string, 0, len(t[kind]))
	for alias := range t[kind] {
		known = append(known, alias)
	}
	slices.Sort(known)
	if len(known) == 0 {
		return Target{}, inputErrorf("%q is not a %s alias (none are configured) nor a %s ID", word, kind, kind)
	}
	return Target{}, inputErrorf("unknown %s alias %q. Known: %s; or give the %s ID", kind, word, strings.Join(known, ", "), kind)
}

func (o *operation) usageLine() string {
	if o.usage == "" {
		return o.name
	}
	return fmt.Sprintf("%s %s", o.name, o.usage)
}
