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

// freeCommands need no rule: they read only the bot's own state.
var freeCommands = []string{"help", "pending", "history"}

// automated origins make requests no person asked for: their requester is a
// rule or another program, so only the confirmer is a person to check.
var automated = []string{"alert", "nats"}

// Validate reports every rule that cannot work, naming it by its place
// and name, in the words of the config (policy[0].operations).
func (p *Policy) Validate() error {
	if p == nil {
		return nil
	}
	var errs []error
	bad := func(i int, key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("policy[%d].%s: %s", i, key, fmt.Sprintf(format, a...)))
	}
	names := map[string]int{}
	for i, r := range p.Rules {
		if strings.TrimSpace(r.Name) == "" {
			bad(i, "name", "required: refusals name the rule that refused")
		} else if j, dup := names[r.Name]; dup {
			bad(i, "name", "%q is also the name of policy[%d]: give each rule its own name", r.Name, j)
		} else {
			names[r.Name] = i
		}
		if len(r.Operations) == 0 {
			bad(i, "operations", "required: command names like \"pipeline pause\", patterns like \"job *\", or \"*\"")
		}
		for _, o := range r.Operations {
			if _, err := path.Match(o, ""); err != nil {
				bad(i, "operations", "%q is not a valid pattern", o)
				continue
			}
			if !slices.ContainsFunc(p.Commands, func(c string) bool { return opMatches(o, c) }) {
				bad(i, "operations", "%q names no command; the commands are: %s", o, strings.Join(p.Commands, ", "))
			}
		}
		for key, list := range map[string][]string{"requesters": r.Requesters, "confirmers": r.Confirmers} {
			if len(list) == 0 {
				bad(i, key, "required: Slack user IDs like U0ALICE, user groups like @oncall, or \"*\" for anyone")
			}
			for _, who := range list {
				if who == "" || who == "@" || strings.ContainsAny(who, " \t,<>") {
					bad(i, key, "%q is neither a user ID, an @group handle nor \"*\"", who)
				}
			}
		}
		for _, c := range r.Channels {
			if c == "" || strings.ContainsAny(c, " \t,#<>") {
				bad(i, "channels", "%q is not a channel ID (like C0OPS) or \"*\"", c)
			}
		}
		if r.TwoPerson && len(r.Confirmers) == 1 && !strings.HasPrefix(r.Confirmers[0], "@") && r.Confirmers[0] != "*" &&
			slices.Equal(r.Requesters, r.Confirmers) {
			bad(i, "two_person", "the only confirmer, %s, is also the only requester, so nothing it covers could ever be confirmed", r.Confirmers[0])
		}
	}
	return errors.Join(errs...)
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

// covers reports whether r decides op in channel ("" for the console).
func (r *Rule) covers(op, channel string) bool {
	if !slices.ContainsFunc(r.Operations, func(p string) bool { return opMatches(p, op) }) {
		return false
	}
	return len(r.Channels) == 0 || slices.Contains(r.Channels, "*") || channel != "" && slices.Contains(r.Channels, channel)
}

// rule is the first rule that covers op in channel, or nil.
func (p *Policy) rule(op, channel string) *Rule {
	for i := range p.Rules {
		if p.Rules[i].covers(op, channel) {
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

// instead names who could do what user may not: the list as configured,
// each group followed by its members, leaving out user.
func (p *Policy) instead(ctx context.Context, who []string, user string) string {
	var out []string
	for _, w := range who {
		switch {
		case w == "*":
			out = append(out, "anyone")
		case w == user:
		case strings.HasPrefix(w, "@") && p.Groups != nil:
			members, err := p.Groups.Members(ctx, strings.TrimPrefix(w, "@"))
			members = slices.DeleteFunc(slices.Clone(members), func(m string) bool { return m == user })
			switch {
			case errors.Is(err, ErrNoGroup):
				w += " (no such user group)"
			case err == nil && len(members) > 0:
				w += " (" + strings.Join(members, ", ") + ")"
			}
			out = append(out, w)
		default:
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return "nobody else"
	}
	return strings.Join(out, ", ")
}

func where(channel string) string {
	if channel == "" {
		return "at the console"
	}
	return "in this channel"
}

// mayRequest checks that in.User may ask for op where in came from. It
// changes nothing; a refusal is an *InputError naming the rule and who
// could ask instead.
func (s *Service) mayRequest(ctx context.Context, op string, in Input) error {
	p := s.policy
	if p == nil || slices.Contains(freeCommands, op) {
		return nil
	}
	rule := p.rule(op, in.Origin.Channel)
	if rule == nil {
		return inputErrorf("Refused: no policy rule covers %s %s, so nobody may ask for it there. Nothing was done.", op, where(in.Origin.Channel))
	}
	if slices.Contains(automated, in.Origin.Frontend) {
		return nil // a rule or a program asked; the confirmer is checked
	}
	ok, err := p.includes(ctx, rule.Requesters, in.User)
	if err != nil {
		return fmt.Errorf("could not check policy rule %q for %s, so nothing was done: %w", rule.Name, op, err)
	}
	if !ok {
		return inputErrorf("Refused by policy rule %q: %s may not ask for %s %s. Who may: %s. Nothing was done.",
			rule.Name, in.User, op, where(in.Origin.Channel), p.instead(ctx, rule.Requesters, in.User))
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
	verb := "confirm"
	if to == Cancelled {
		verb = "cancel"
		if user == r.Requester {
			return nil // withdrawing one's own request; a rule withdraws its own when its alert resolves
		}
	}
	rule := p.rule(r.Op, r.Origin.Channel)
	if rule == nil {
		return inputErrorf("Refused: no policy rule covers %s %s any more, so nobody may %s %s. Nothing was done; %s is still pending.",
			r.Op, where(r.Origin.Channel), verb, r.ID, r.ID)
	}
	if to == Executing && rule.TwoPerson && user == r.Requester {
		return inputErrorf("Refused by policy rule %q: it needs two people, and %s asked for %s, so someone else must confirm it. Who may: %s. Nothing was done; %s is still pending.",
			rule.Name, user, r.ID, p.instead(ctx, rule.Confirmers, user), r.ID)
	}
	ok, err := p.includes(ctx, rule.Confirmers, user)
	if err != nil {
		return fmt.Errorf("could not check policy rule %q for %s, so nothing was done and it is still pending: %w", rule.Name, r.ID, err)
	}
	if !ok {
		return inputErrorf("Refused by policy rule %q: %s may not %s %s (%s). Who may: %s. Nothing was done; %s is still pending.",
			rule.Name, user, verb, r.ID, r.Op, p.instead(ctx, rule.Confirmers, user), r.ID)
	}
	return nil
}

// allowedCommands splits the catalogue into what user may ask for in
// channel and what not, for help.
func (s *Service) allowedCommands(ctx context.Context, user, channel string) (may, mayNot []*operation) {
	for _, o := range s.catalogue.sorted() {
		if s.mayRequest(ctx, o.name, Input{User: user, Origin: Origin{Channel: channel}}) == nil {
			may = append(may, o)
		} else {
			mayNot = append(mayNot, o)
		}
	}
	return may, mayNot
}
