package ops

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// targetPattern is one entry of a rule's targets: a group of the
// Directory, or a glob over aliases and IDs, narrowed to a kind and an
// account when they are given.
type targetPattern struct {
	group   string // the group's name, without GroupPrefix; "" for a glob
	kind    string // "": any kind
	account string // "": any account
	glob    string // matched against the alias and the ID (path.Match)
}

// parseTargetPattern reads "@group" or "[kind:][account/]glob".
func parseTargetPattern(s string) (targetPattern, error) {
	const shape = "give @group, or [kind:][account/]name with * and ? as wildcards, like job:prod-* or eg-shanghai/*"
	if s == "" || strings.ContainsAny(s, " \t,") {
		return targetPattern{}, fmt.Errorf("%q is not a target pattern: %s", s, shape)
	}
	if name, ok := strings.CutPrefix(s, GroupPrefix); ok {
		if !ValidAlias(name) {
			return targetPattern{}, fmt.Errorf("%q is not a target group's name: it starts with a letter and has only letters, digits, '.', '_' and '-'", s)
		}
		return targetPattern{group: name}, nil
	}
	var p targetPattern
	rest := s
	if kind, after, ok := strings.Cut(rest, ":"); ok {
		if _, known := kinds[kind]; !known {
			return targetPattern{}, fmt.Errorf("%q: %q is not a kind of target (pipeline, stream or job)", s, kind)
		}
		p.kind, rest = kind, after
	}
	if account, after, ok := strings.Cut(rest, "/"); ok {
		if !ValidAccount(account) {
			return targetPattern{}, fmt.Errorf("%q: %q is not an account name (lower-case letters, digits and '-', starting with a letter)", s, account)
		}
		p.account, rest = account, after
	}
	if _, err := path.Match(rest, ""); err != nil || rest == "" || strings.ContainsAny(rest, "/:@") {
		return targetPattern{}, fmt.Errorf("%q is not a target pattern: %s", s, shape)
	}
	p.glob = rest
	return p, nil
}

// matches reports whether t is one the pattern names; d resolves groups.
func (p targetPattern) matches(t Target, d Directory) bool {
	if p.group != "" {
		members, err := d.Group(p.group)
		return err == nil && slices.ContainsFunc(members, func(m Target) bool { return m.Key() == t.Key() })
	}
	if p.kind != "" && p.kind != t.Kind || p.account != "" && p.account != t.Key().Account {
		return false
	}
	return globMatches(p.glob, t.Alias) || globMatches(p.glob, t.ID)
}

func globMatches(glob, name string) bool {
	ok, _ := path.Match(glob, name)
	return name != "" && ok
}

// everything reports whether the pattern names every target of kind.
func (p targetPattern) everything(kind string) bool {
	return p.group == "" && (p.kind == "" || p.kind == kind) && p.account == "" && p.glob == "*"
}

// kinds are the kinds of target the pattern can name; d resolves groups.
func (p targetPattern) kinds(d Directory) []string {
	switch {
	case p.group != "":
		members, _ := d.Group(p.group)
		var ks []string
		for _, m := range members {
			if !slices.Contains(ks, m.Kind) {
				ks = append(ks, m.Kind)
			}
		}
		return ks
	case p.kind != "":
		return []string{p.kind}
	default:
		return sortedKeys(kinds)
	}
}

// subsumes reports whether every target of kind that q names, p names too,
// as far as the patterns' words show it.
func (p targetPattern) subsumes(q targetPattern, kind string) bool {
	switch {
	case p.everything(kind):
		return true
	case p.group != "" || q.group != "":
		return p.group == q.group
	}
	literal := !strings.ContainsAny(q.glob, `*?[\`) // q names one alias or ID, which p's glob may match
	return (p.kind == "" || p.kind == kind) && (p.account == "" || p.account == q.account) &&
		(p.glob == "*" || p.glob == q.glob || literal && globMatches(p.glob, q.glob))
}

// patterns are the rule's targets that parse; Validate reports the others.
func (r *Rule) patterns() []targetPattern {
	var ps []targetPattern
	for _, s := range r.Targets {
		if p, err := parseTargetPattern(s); err == nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// coversTarget reports whether the rule's targets name t (nil: a command
// that takes none). A rule without targets covers every target, and none.
func (r *Rule) coversTarget(t *Target, d Directory) bool {
	if len(r.Targets) == 0 {
		return true
	}
	return t != nil && slices.ContainsFunc(r.patterns(), func(p targetPattern) bool { return p.matches(*t, d) })
}

// mayName reports whether some target of kind could be one the rule's
// targets name ("": a command that takes none).
func (r *Rule) mayName(kind string, d Directory) bool {
	if len(r.Targets) == 0 {
		return true
	}
	return kind != "" && slices.ContainsFunc(r.patterns(), func(p targetPattern) bool { return slices.Contains(p.kinds(d), kind) })
}

// namesEvery reports whether the rule covers every target of kind.
func (r *Rule) namesEvery(kind string) bool {
	return len(r.Targets) == 0 || slices.ContainsFunc(r.patterns(), func(p targetPattern) bool { return p.everything(kind) })
}

// CommandKinds are the kinds of target each operation of specs takes, by
// name ("pipeline pause": "pipeline"); one that takes none is left out.
// The policy checks its rules' targets against them.
func CommandKinds(specs []Spec) map[string]string {
	out := map[string]string{}
	for _, sp := range specs {
		if k := targetKind(sp); k != "" {
			out[sp.Name] = k
		}
	}
	return out
}

// targetKind is the kind of target sp acts on: its Kind, or for one that
// names a new resource the kind its name starts with.
func targetKind(sp Spec) string {
	if sp.Named {
		kind, _, _ := strings.Cut(sp.Name, " ")
		return kind
	}
	return sp.Kind
}

// operationKinds are the kinds of target the rule's operations take,
// among p.Commands.
func (p *Policy) operationKinds(r *Rule) []string {
	var ks []string
	for _, c := range p.Commands {
		if k := p.Kinds[c]; k != "" && r.coversOp(c) && !slices.Contains(ks, k) {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// checkTargets wants patterns that parse and name groups, accounts and
// kinds that exist and that the rule's operations act on. Each of these is
// an error, not a warning: the words are the rule's own, nothing but an
// edit of the rule could make them match, and a rule that matches nothing
// leaves what it meant to restrict to the rules after it.
func (p *Policy) checkTargets(r *Rule) []fault {
	if len(r.Targets) == 0 {
		return nil
	}
	opKinds := p.operationKinds(r)
	if len(opKinds) == 0 {
		return []fault{faultf("targets", "none of the rule's operations (%s) acts on a target, and a rule with targets covers only commands on one: leave targets out, or name operations like \"job switch\"",
			strings.Join(r.Operations, ", "))}
	}
	var faults []fault
	for _, s := range r.Targets {
		pat, err := parseTargetPattern(s)
		switch {
		case err != nil:
			faults = append(faults, faultf("targets", "%v", err))
		case pat.group != "":
			if _, ok := p.Targets.Groups[pat.group]; !ok {
				_, err := p.Targets.Group(pat.group)
				faults = append(faults, faultf("targets", "%v", err))
			}
		case pat.kind != "" && !slices.Contains(opKinds, pat.kind):
			faults = append(faults, faultf("targets", "%q names a %s, and none of the rule's operations acts on one (they act on: %s), so it never matches",
				s, pat.kind, strings.Join(opKinds, ", ")))
		case pat.account != "":
			faults = append(faults, p.checkPatternAccount(s, pat, opKinds)...)
		}
	}
	return faults
}

// checkPatternAccount wants the pattern's account to be one of its kind's,
// or, without a kind, of one of the kinds the rule's operations act on.
func (p *Policy) checkPatternAccount(s string, pat targetPattern, opKinds []string) []fault {
	if pat.kind != "" {
		if err := p.Targets.checkAccount(pat.kind, pat.account); err != nil {
			return []fault{faultf("targets", "%q: %v", s, err)}
		}
		return nil
	}
	var known []string
	for _, k := range opKinds {
		if p.Targets.checkAccount(k, pat.account) == nil {
			return nil
		}
		for _, a := range accountsOf(p.Targets, k) {
			if !slices.Contains(known, a) {
				known = append(known, a)
			}
		}
	}
	return []fault{faultf("targets", "%q: there is no account %q for the targets of the rule's operations: the accounts are %s", s, pat.account, strings.Join(known, ", "))}
}

// accountsOf are the accounts of kind: DefaultAccount when d names none.
func accountsOf(d Directory, kind string) []string {
	if len(d.Accounts[kind]) == 0 {
		return []string{DefaultAccount}
	}
	return d.Accounts[kind]
}

// Warnings are the rules that can never decide anything although nothing
// in their own words is wrong, each with why. They are warnings, not
// errors: a rule that comes after one covering all it covers was allowed
// before rules had targets, so refusing it would stop configs that load
// today; and a group's members are edited apart from the policy, so a
// group left with no target the rule acts on should not stop the bot.
func (p *Policy) Warnings() []string {
	if p == nil {
		return nil
	}
	var out []string
	for i := range p.Rules {
		r := &p.Rules[i]
		opKinds := p.operationKinds(r)
		for _, s := range r.Targets {
			pat, err := parseTargetPattern(s)
			if err != nil || pat.group == "" || len(opKinds) == 0 {
				continue
			}
			if _, ok := p.Targets.Groups[pat.group]; ok && !slices.ContainsFunc(pat.kinds(p.Targets), func(k string) bool { return slices.Contains(opKinds, k) }) {
				out = append(out, fmt.Sprintf("policy[%d].targets: %s holds no %s, the kinds of target the rule's operations act on, so it matches nothing",
					i, s, strings.Join(opKinds, " or ")))
			}
		}
		if j, ok := p.shadowed(i); ok {
			out = append(out, fmt.Sprintf("policy[%d] (%q) never decides anything: policy[%d] (%q) comes before it and covers every operation it names, in every channel, on every target. Move it up, or remove it",
				i, r.Name, j, p.Rules[j].Name))
		}
	}
	return out
}

// shadowed is the earlier rule that covers everything rule i could cover,
// if one does.
func (p *Policy) shadowed(i int) (int, bool) {
	r := &p.Rules[i]
	var covered []string // the commands r could decide
	for _, c := range p.Commands {
		if r.coversOp(c) && r.mayName(p.Kinds[c], p.Targets) {
			covered = append(covered, c)
		}
	}
	if len(covered) == 0 {
		return 0, false // it matches nothing at all: Validate says why
	}
	for j := range i {
		e := &p.Rules[j]
		if e.coversChannels(r) && !slices.ContainsFunc(covered, func(c string) bool { return !e.coversOp(c) || !e.coversTargetsOf(r, p.Kinds[c]) }) {
			return j, true
		}
	}
	return 0, false
}

// coversChannels reports whether r covers every channel o covers.
func (r *Rule) coversChannels(o *Rule) bool {
	if r.anyChannel() {
		return true
	}
	return !o.anyChannel() && !slices.ContainsFunc(o.Channels, func(c string) bool { return !slices.Contains(r.Channels, c) })
}

func (r *Rule) anyChannel() bool { return len(r.Channels) == 0 || slices.Contains(r.Channels, "*") }

// coversTargetsOf reports whether r covers every target of kind o covers
// ("": o's command takes none).
func (r *Rule) coversTargetsOf(o *Rule, kind string) bool {
	switch {
	case len(r.Targets) == 0:
		return true
	case kind == "":
		return false
	case len(o.Targets) == 0:
		return r.namesEvery(kind)
	}
	for _, q := range o.patterns() {
		if q.kind != "" && q.kind != kind {
			continue // names no target of kind
		}
		if !slices.ContainsFunc(r.patterns(), func(p targetPattern) bool { return p.subsumes(q, kind) }) {
			return false
		}
	}
	return true
}

// targetWords names t as a person types it: "job orders-dr", and the
// account before an ID outside the default account.
func targetWords(t Target) string {
	if t.Alias != "" {
		return t.Kind + " " + t.Alias
	}
	if t.Account != "" && t.Account != DefaultAccount {
		return t.Kind + " " + t.Account + "/" + t.ID
	}
	return t.Kind + " " + t.ID
}
