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
	// Targets are patterns of the targets the rule covers, any one
	// matching: "@group" (a target group of the Directory), or
	// "[kind:][account/]glob" with glob matched against the alias and the
	// ID ("job:prod-*", "eg-shanghai/*"). Empty: any target, and commands
	// that take none, which a rule with targets never covers.
	Targets []string
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
// operation in a channel, on a target, decides, and an operation no rule
// covers is refused. A nil *Policy allows everything (a config without
// `policy:`).
type Policy struct {
	Rules  []Rule
	Groups Groups // nil: a rule naming a group matches nobody
	// Commands are the names a rule may give: CommandNames of every
	// provider's specs, whichever providers are configured.
	Commands []string
	// Kinds are the kinds of target Commands take (CommandKinds of the
	// same specs), to check the rules' targets against: a policy whose
	// rules name targets needs them.
	Kinds map[string]string
	// Targets are the config's targets, for the rules' target groups and
	// accounts.
	Targets Directory
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
			p.checkTargets(&r),
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
// on once they are resolved (none for a command that takes none). Each
// target is decided by the first rule that covers the operation, the
// channel and that target.
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

// coversOp reports whether the rule names op.
func (r *Rule) coversOp(op string) bool {
	return slices.ContainsFunc(r.Operations, func(p string) bool { return opMatches(p, op) })
}

// coversChannel reports whether the rule applies in channel ("": the console).
func (r *Rule) coversChannel(channel string) bool {
	return r.anyChannel() || channel != "" && slices.Contains(r.Channels, channel)
}

// decision is the rule that decides one target of an action (target nil
// for a command that takes none); rule is nil where no rule covers it.
type decision struct {
	target *Target
	rule   *Rule
}

// decide is the decision on each of a's targets, in their order, or the
// one decision on a command that takes none.
func (p *Policy) decide(a Action) []decision {
	if len(a.Targets) == 0 {
		return []decision{{rule: p.rule(a.Op, a.Origin.Channel, nil)}}
	}
	ds := make([]decision, len(a.Targets))
	for i := range a.Targets {
		ds[i] = decision{target: &a.Targets[i], rule: p.rule(a.Op, a.Origin.Channel, &a.Targets[i])}
	}
	return ds
}

// rule is the first rule that covers op in channel on t, or nil.
func (p *Policy) rule(op, channel string, t *Target) *Rule {
	for i := range p.Rules {
		if r := &p.Rules[i]; r.coversOp(op) && r.coversChannel(channel) && r.coversTarget(t, p.Targets) {
			return r
		}
	}
	return nil
}

// rules are the distinct rules of ds, in the order they first decide.
func rules(ds []decision) []*Rule {
	var rs []*Rule
	for _, d := range ds {
		if !slices.Contains(rs, d.rule) {
			rs = append(rs, d.rule)
		}
	}
	return rs
}

// uncovered is the first decision of ds that no rule covers.
func uncovered(ds []decision) (decision, bool) {
	i := slices.IndexFunc(ds, func(d decision) bool { return d.rule == nil })
	if i < 0 {
		return decision{}, false
	}
	return ds[i], true
}

// scopedTarget names, for a refusal, the target of d when what decides it
// depends on the target: its rule has targets or, where none covers it,
// some rule with targets covers the operation in that channel.
func (p *Policy) scopedTarget(d decision, op, channel string) string {
	if d.target == nil {
		return ""
	}
	scoped := d.rule != nil && len(d.rule.Targets) > 0
	if d.rule == nil {
		scoped = slices.ContainsFunc(p.Rules, func(r Rule) bool { return len(r.Targets) > 0 && r.coversOp(op) && r.coversChannel(channel) })
	}
	if !scoped {
		return ""
	}
	return targetWords(*d.target)
}

// first is the first decision of ds that rule makes.
func first(ds []decision, rule *Rule) decision {
	return ds[slices.IndexFunc(ds, func(d decision) bool { return d.rule == rule })]
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
// where it came from: every target's rule must allow them. It changes
// nothing; a refusal is an *InputError wrapping a *Refusal.
func (s *Service) mayRequest(ctx context.Context, a Action) error {
	p := s.policy
	if p == nil || slices.Contains(freeCommands, a.Op) {
		return nil
	}
	ds := p.decide(a)
	if d, ok := uncovered(ds); ok {
		return refuse(Refusal{Why: NoRule, Operation: a.Op, User: a.Requester, Channel: a.Origin.Channel,
			Target: p.scopedTarget(d, a.Op, a.Origin.Channel)})
	}
	if slices.Contains(automated, a.Origin.Frontend) {
		return nil // a rule or a program asked; the confirmer is checked
	}
	for _, rule := range rules(ds) {
		ok, err := p.includes(ctx, rule.Requesters, a.Requester)
		if err != nil {
			return fmt.Errorf("could not check policy rule %q for %s, so nothing was done: %w", rule.Name, a.Op, err)
		}
		if !ok {
			return refuse(Refusal{Why: NotRequester, Rule: rule.Name, Operation: a.Op, User: a.Requester, Channel: a.Origin.Channel,
				Target: p.scopedTarget(first(ds, rule), a.Op, a.Origin.Channel), Instead: p.instead(ctx, rule.Requesters, a.Requester)})
		}
	}
	return nil
}

// mayDecide checks that user may confirm (or, with cancel, cancel) r. The
// requester may always cancel their own request; otherwise every rule that
// decides one of its targets must name user among its confirmers, and
// where any of them needs two people the requester may not confirm their
// own request. Requests from alerts and other programs always need an
// allowed confirmer.
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
	ds := p.decide(r.action())
	if d, ok := uncovered(ds); ok {
		no.Why, no.Target = NoRule, p.scopedTarget(d, r.Op, r.Origin.Channel)
		return refuse(no)
	}
	rs := rules(ds)
	if i := slices.IndexFunc(rs, func(rule *Rule) bool { return rule.TwoPerson }); i >= 0 && to == Executing && user == r.Requester {
		no.Why, no.Rule, no.Instead = TwoPeople, rs[i].Name, p.allowedBy(ctx, rs, user)
		return refuse(no)
	}
	for _, rule := range rs {
		ok, err := p.includes(ctx, rule.Confirmers, user)
		if err != nil {
			return fmt.Errorf("could not check policy rule %q for %s, so nothing was done and it is still pending: %w", rule.Name, r.ID, err)
		}
		if !ok {
			no.Why, no.Rule, no.Instead = NotConfirmer, rule.Name, p.allowedBy(ctx, rs, user)
			no.Target = p.scopedTarget(first(ds, rule), r.Op, r.Origin.Channel)
			return refuse(no)
		}
	}
	return nil
}

// allowedCommands splits the catalogue into what user may ask for in
// channel and what not, for help: an operation is open to user if some
// rule lets them ask for it there, on some target if it takes one.
func (s *Service) allowedCommands(ctx context.Context, user, channel string) (may, mayNot []*operation) {
	for _, o := range s.catalogue.sorted() {
		if s.policy == nil || slices.Contains(freeCommands, o.Name) || s.policy.mayAsk(ctx, o.Name, targetKind(o.Spec), user, channel) {
			may = append(may, o)
		} else {
			mayNot = append(mayNot, o)
		}
	}
	return may, mayNot
}

// mayAsk reports whether some rule lets user ask for op, whose targets
// are of kind ("": it takes none), in channel, on some target: the rules
// are read in order until one allows user or one refuses on every target.
func (p *Policy) mayAsk(ctx context.Context, op, kind, user, channel string) bool {
	for i := range p.Rules {
		r := &p.Rules[i]
		if !r.coversOp(op) || !r.coversChannel(channel) || !r.mayName(kind, p.Targets) {
			continue
		}
		if ok, err := p.includes(ctx, r.Requesters, user); ok && err == nil {
			return true
		}
		if r.namesEvery(kind) {
			return false // it decides every target left
		}
	}
	return false
}
