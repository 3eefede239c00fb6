package ops

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Rule is one entry of the policy: who may request and who may confirm the
// operations it names, in which channels.
type Rule struct {
	Name string
	// Operations are command names as help lists them ("pipeline pause"),
	// or patterns of them ("job *", "*").
	Operations []string
	// Requesters and Confirmers are Slack user IDs (or the console user's
	// name), "@handle" of a Slack user group, or "*" for anyone.
	Requesters []string
	Confirmers []string
	// Channels are channel IDs, or "*" for any place, the console
	// included; empty means any.
	Channels []string
	// TwoPerson: whoever asked for a request may not confirm it.
	TwoPerson bool
}

// Groups tells who is in a user group (Slack's usergroups.list);
// front ends implement it, so that the rules import no transport.
type Groups interface {
	// Members answers an error wrapping ErrNoGroup for a handle no group has.
	Members(ctx context.Context, handle string) ([]string, error)
	// ID is the group's ID, for a mention that notifies its members; ""
	// when it is not known.
	ID(ctx context.Context, handle string) string
}

// ErrNoGroup: no user group has the handle. Such a group has no members;
// it does not make a policy check fail, and refusals say it is missing.
var ErrNoGroup = errors.New("no user group has that handle")

// Policy is the ordered list of rules: the first rule that covers an
// operation in a channel decides, and an operation no rule covers is
// refused. A nil *Policy allows everything (a config without `policy:`).
type Policy struct {
	Rules  []Rule
	Groups Groups // nil: a rule naming a group matches nobody
	// Commands are the names a rule may give: CommandNames of every
	// provider's specs, whichever providers are configured.
	Commands []string
}

// freeCommands need no rule: they read only the bot's own state, and a
// timeline shows only requests whose cards were already where it is asked.
var freeCommands = []string{"help", "pending", "history", "timeline"}

// automated origins make requests no person asked for: their requester is a
// rule or another program, so only the confirmer is a person to check.
var automated = []Frontend{FrontendAlert, FrontendNATS}

// Validate reports every rule that cannot work, naming it by its place
// and name, in the words of the config (policy[0].operations).
func (p *Policy) Validate() error {
	if p == nil {
		return nil
	}
	var errs []error
	names := map[string]int{}
	for i, r := range p.Rules {
		for _, bad := range slices.Concat(
			r.checkName(i, names),
			r.checkOperations(p.Commands),
			checkPeople("requesters", r.Requesters),
			checkPeople("confirmers", r.Confirmers),
			r.checkChannels(),
			r.checkTwoPerson(),
		) {
			errs = append(errs, fmt.Errorf("policy[%d].%s: %s", i, bad.key, bad.msg))
		}
	}
	return errors.Join(errs...)
}

// fault is one thing wrong with a rule, under its key in the config.
type fault struct{ key, msg string }

func faultf(key, format string, a ...any) fault {
	return fault{key, fmt.Sprintf(format, a...)}
}

// checkName wants a name no earlier rule has; names holds theirs, by place.
func (r *Rule) checkName(i int, names map[string]int) []fault {
	if strings.TrimSpace(r.Name) == "" {
		return []fault{faultf("name", "required: refusals name the rule that refused")}
	}
	if j, dup := names[r.Name]; dup {
		return []fault{faultf("name", "%q is also the name of policy[%d]: give each rule its own name", r.Name, j)}
	}
	names[r.Name] = i
	return nil
}

// checkOperations wants patterns that each name at least one of commands.
func (r *Rule) checkOperations(commands []string) []fault {
	if len(r.Operations) == 0 {
		return []fault{faultf("operations", "required: command names like \"pipeline pause\", patterns like \"job *\", or \"*\"")}
	}
	var faults []fault
	for _, o := range r.Operations {
		if _, err := path.Match(o, ""); err != nil {
			faults = append(faults, faultf("operations", "%q is not a valid pattern", o))
		} else if !slices.ContainsFunc(commands, func(c string) bool { return opMatches(o, c) }) {
			faults = append(faults, faultf("operations", "%q names no command; the commands are: %s", o, strings.Join(commands, ", ")))
		}
	}
	return faults
}

// checkPeople wants user IDs, @group handles or "*" under key.
func checkPeople(key string, who []string) []fault {
	if len(who) == 0 {
		return []fault{faultf(key, "required: Slack user IDs like U0ALICE, user groups like @oncall, or \"*\" for anyone")}
	}
	var faults []fault
	for _, w := range who {
		if w == "" || w == "@" || strings.ContainsAny(w, " \t,<>") {
			faults = append(faults, faultf(key, "%q is neither a user ID, an @group handle nor \"*\"", w))
		}
	}
	return faults
}

// checkChannels wants channel IDs or "*".
func (r *Rule) checkChannels() []fault {
	var faults []fault
	for _, c := range r.Channels {
		if c == "" || strings.ContainsAny(c, " \t,#<>") {
			faults = append(faults, faultf("channels", "%q is not a channel ID (like C0OPS) or \"*\"", c))
		}
	}
	return faults
}

// checkTwoPerson refuses two people where the rule names only one.
func (r *Rule) checkTwoPerson() []fault {
	if !r.TwoPerson || len(r.Confirmers) != 1 || !slices.Equal(r.Requesters, r.Confirmers) {
		return nil
	}
	only := r.Confirmers[0]
	if strings.HasPrefix(only, "@") || only == "*" {
		return nil // a group or anyone may hold a second person
	}
	return []fault{faultf("two_person", "the only confirmer, %s, is also the only requester, so nothing it covers could ever be confirmed", only)}
}

// GroupHandles are the user groups the rules name, without @, each once.
func (p *Policy) GroupHandles() []string {
	if p == nil {
		return nil
	}
	var handles []string
	for _, r := range p.Rules {
		for _, who := range slices.Concat(r.Requesters, r.Confirmers) {
			if h, ok := strings.CutPrefix(who, "@"); ok && !slices.Contains(handles, h) {
				handles = append(handles, h)
			}
		}
	}
	return handles
}

func opMatches(pattern, op string) bool {
	ok, _ := path.Match(pattern, op)
	return ok
}

// Action is what the policy decides on: an operation, where it was asked
// for (the channel; "" for the console) and by whom, and the targets it acts
// on once they are resolved (none for a command that takes none). Rules
// match the operation and the channel; the targets are passed for rules
// that will match them.
type Action struct {
	Op        string
	Origin    Origin
	Requester string
	Targets   []Target
}

// action is what the policy decides r on.
func (r Request) action() Action {
	a := Action{Op: r.Op, Origin: r.Origin, Requester: r.Requester}
	if r.Target.Kind != "" {
		a.Targets = r.Targets()
	}
	return a
}

// covers reports whether r decides a.
func (r *Rule) covers(a Action) bool {
	if !slices.ContainsFunc(r.Operations, func(p string) bool { return opMatches(p, a.Op) }) {
		return false
	}
	channel := a.Origin.Channel
	return len(r.Channels) == 0 || slices.Contains(r.Channels, "*") || channel != "" && slices.Contains(r.Channels, channel)
}

// rule is the first rule that covers a, or nil.
func (p *Policy) rule(a Action) *Rule {
	for i := range p.Rules {
		if p.Rules[i].covers(a) {
			return &p.Rules[i]
		}
	}
	return nil
}

// includes reports whether user is one of who (IDs, @groups, "*").
func (p *Policy) includes(ctx context.Context, who []string, user string) (bool, error) {
	if user == "" {
		return false, nil
	}
	var errs []error
	for _, w := range who {
		switch {
		case w == "*" || w == user:
			return true, nil
		case strings.HasPrefix(w, "@") && p.Groups != nil:
			members, err := p.Groups.Members(ctx, strings.TrimPrefix(w, "@"))
			if errors.Is(err, ErrNoGroup) {
				continue // nobody is in it
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", w, err))
				continue
			}
			if slices.Contains(members, user) {
				return true, nil
			}
		}
	}
	if len(errs) > 0 {
		return false, fmt.Errorf("could not read the members of %w", errors.Join(errs...))
	}
	return false, nil
}

// mayRequest checks that a.Requester may ask for a.Op, on its targets,
// where it came from. It changes nothing; a refusal is an *InputError
// wrapping a *Refusal.
func (s *Service) mayRequest(ctx context.Context, a Action) error {
	p := s.policy
	if p == nil || slices.Contains(freeCommands, a.Op) {
		return nil
	}
	rule := p.rule(a)
	if rule == nil {
		return refuse(Refusal{Why: NoRule, Operation: a.Op, User: a.Requester, Channel: a.Origin.Channel})
	}
	if slices.Contains(automated, a.Origin.Frontend) {
		return nil // a rule or a program asked; the confirmer is checked
	}
	ok, err := p.includes(ctx, rule.Requesters, a.Requester)
	if err != nil {
		return fmt.Errorf("could not check policy rule %q for %s, so nothing was done: %w", rule.Name, a.Op, err)
	}
	if !ok {
		return refuse(Refusal{Why: NotRequester, Rule: rule.Name, Operation: a.Op, User: a.Requester, Channel: a.Origin.Channel,
			Instead: p.instead(ctx, rule.Requesters, a.Requester)})
	}
	return nil
}

// mayDecide checks that user may confirm (or, with cancel, cancel) r. The
// requester may always cancel their own request; otherwise the
// rule's confirmers decide, and with two_person the requester may not
// confirm their own request. Requests from alerts and other programs always
// need an allowed confirmer.
func (s *Service) mayDecide(ctx context.Context, r Request, user string, to State) error {
	p := s.policy
	if p == nil {
		return nil
	}
	cancel := to == Cancelled
	if cancel && user == r.Requester {
		return nil // withdrawing one's own request; a rule withdraws its own when its alert resolves
	}
	no := Refusal{Operation: r.Op, User: user, Channel: r.Origin.Channel, Request: r.ID, Cancel: cancel}
	rule := p.rule(r.action())
	if rule == nil {
		no.Why = NoRule
		return refuse(no)
	}
	no.Rule = rule.Name
	if to == Executing && rule.TwoPerson && user == r.Requester {
		no.Why, no.Instead = TwoPeople, p.instead(ctx, rule.Confirmers, user)
		return refuse(no)
	}
	ok, err := p.includes(ctx, rule.Confirmers, user)
	if err != nil {
		return fmt.Errorf("could not check policy rule %q for %s, so nothing was done and it is still pending: %w", rule.Name, r.ID, err)
	}
	if !ok {
		no.Why, no.Instead = NotConfirmer, p.instead(ctx, rule.Confirmers, user)
		return refuse(no)
	}
	return nil
}

// allowedCommands splits the catalogue into what user may ask for in
// channel and what not, for help.
func (s *Service) allowedCommands(ctx context.Context, user, channel string) (may, mayNot []*operation) {
	for _, o := range s.catalogue.sorted() {
		if s.mayRequest(ctx, Action{Op: o.Name, Requester: user, Origin: Origin{Channel: channel}}) == nil {
			may = append(may, o)
		} else {
			mayNot = append(mayNot, o)
		}
	}
	return may, mayNot
}
