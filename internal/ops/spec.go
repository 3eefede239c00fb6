package ops

import (
	"context"
	"slices"
	"strings"
)

// Provider is a provider's side of the catalogue: the operations it offers.
// Each provider implements it in its own package, over its client, so that
// ops imports no client and adding an operation is one place.
type Provider interface {
	Operations() []Spec
}

// Spec is one operation a provider offers: what it is called and takes,
// how risky it is, the call it sends and how it is carried out. Help, the
// policy's command list, the front ends' warnings and the call line on a
// card all come from it.
type Spec struct {
	Name     string // the words that name it: "pipeline pause"
	Provider string // who carries it out, as Target.Provider names it: "EnOS"
	Kind     string // the kind of target it takes; "" for none
	Usage    string // what follows the name: "<pipeline>"
	Summary  string // help's line
	// Named: the first word after the name names a new resource, of the
	// kind the name's first word says ("job create dr-2").
	Named  bool
	Params []Param  // the key=value arguments it takes
	Flags  []string // the bare words it takes after the target
	Risk   Risk
	// ReadsFirst: Prepare reads the provider before the card is made, so
	// a front end may say it is reading rather than working.
	ReadsFirst bool

	// A state-changing operation has Execute; a read-only one has Read.
	Execute func(ctx context.Context, r Request) (Outcome, error)
	Read    func(ctx context.Context, r Request) (string, error)
	// A list operation says which kind of target it lists (Lists), and
	// lists them (Entries), for front ends that offer targets to pick.
	Lists   string
	Entries func(ctx context.Context) ([]Entry, error)
	// Prepare fills in r's target scope and details before the card is
	// shown; it may read the provider and refuse the request.
	Prepare func(ctx context.Context, r *Request) error
	// Call is the call as the client will send it, after Prepare: the
	// card shows it after the provider's name.
	Call func(r Request) string
	// Done describes a success, e.g. "Paused pipeline orders-etl (p-1):
	// job ID p-1, request ID 2a1c".
	Done func(r Request, out Outcome) string
	// Verb describes the attempt, for failures: "pause pipeline orders-etl (p-1)".
	Verb func(r Request) string
	// Check reads the target's status after a success; nil: none is read.
	Check *StatusCheck
	// Reverse is the command that undoes a success of r, offered after it
	// as a new request; nil or false: none.
	Reverse func(r Request) (command string, ok bool)
}

// Changes reports whether the operation changes state, and so waits for
// a confirmation.
func (s Spec) Changes() bool { return s.Execute != nil }

// TakesGroup reports whether the operation may be asked for on a target
// group (`pipeline pause @orders`): it takes a target, and its card is made
// without reading each one first.
func (s Spec) TakesGroup() bool { return s.Kind != "" && !s.ReadsFirst }

// Risk is how much harm a mistaken confirmation can do.
type Risk int

const (
	// Routine: undone by the opposite operation (a pause by a start).
	Routine Risk = iota
	// Dangerous: stops a flow, creates something or, sent twice, undoes
	// itself; front ends ask once more before confirming.
	Dangerous
)

// ParamType is what an argument's value must be.
type ParamType string

const (
	ParamText      ParamType = "text"
	ParamAddresses ParamType = "addresses" // comma-separated IP addresses with optional ports
	ParamChoice    ParamType = "choice"    // one of Param.Values
)

// Param is one key=value argument an operation takes.
type Param struct {
	Name   string
	Type   ParamType
	Values []string // the allowed values of a choice
}

// StatusCheck reads a target's status after a successful call, until it
// shows that the operation took effect.
type StatusCheck struct {
	Status  func(ctx context.Context, r Request) (string, error)
	Reached func(r Request, status string) bool
	Want    string // what Reached looks for, in words
	// Phrase joins the target and its status in the follow-up: "is" unless set.
	Phrase string
	// Note follows the status in the follow-up when it is reached.
	Note string
}

func (c *StatusCheck) verb() string {
	if c.Phrase == "" {
		return "is"
	}
	return c.Phrase
}

// StatusIs is the usual check: one of these statuses means done.
func StatusIs(status func(ctx context.Context, r Request) (string, error), want ...string) *StatusCheck {
	return &StatusCheck{Status: status, Reached: func(_ Request, s string) bool { return slices.Contains(want, s) }, Want: strings.Join(want, " or ")}
}

// Operation is the spec of the operation named, among the configured
// providers' and the built-in ones.
func (s *Service) Operation(name string) (Spec, bool) {
	o, ok := s.catalogue.byName[name]
	if !ok {
		return Spec{}, false
	}
	return o.Spec, true
}

// OperationOf is the spec of the operation text asks for, and the words
// after its name: a front end can word its first answer from it.
func (s *Service) OperationOf(text string) (Spec, []string, bool) {
	cmd, err := ParseCommand(text)
	if err != nil {
		return Spec{}, nil, false
	}
	o, rest, err := s.catalogue.lookup(cmd.Words)
	if err != nil {
		return Spec{}, nil, false
	}
	return o.Spec, rest, true
}

// CommandNames are the names of the built-in commands and of every
// operation specs lists: a policy is checked with every provider's, as
// it is read before the providers are known.
func CommandNames(specs []Spec) []string {
	c := commandTable(specs)
	names := make([]string, 0, len(c.byName))
	for _, o := range c.sorted() {
		names = append(names, o.Name)
	}
	return names
}
