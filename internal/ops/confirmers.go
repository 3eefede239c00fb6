package ops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Confirmers are who may confirm a request under the policy, as its card
// names them so that they are told; they are fixed when the request is
// made, so that every replica and the reminder name the same people.
type Confirmers struct {
	// Rule is the rule that decides the request; of several, the first
	// that needs two people, or else the first.
	Rule string      `json:"rule"`
	Who  []Principal `json:"who"` // in the rule's order, the requester left out under two_person
	// TwoPerson: the requester may not confirm it.
	TwoPerson bool   `json:"two_person,omitempty"`
	Requester string `json:"requester,omitempty"`
	// Rules name every rule that decides one of the request's targets when
	// they are more than one; Who are then the people all of them allow.
	Rules []string `json:"rules,omitempty"`
}

// Words names them: user renders a user, group a user group, plain every
// other part of the text.
func (c *Confirmers) Words(plain, user func(string) string, group func(Principal) string) string {
	names := make([]string, 0, len(c.Who))
	for _, who := range c.Who {
		switch {
		case who.Anyone && c.TwoPerson:
			names = append(names, plain("anyone else"))
		case who.Anyone:
			names = append(names, plain("anyone"))
		case who.Group != "":
			names = append(names, group(who))
		default:
			names = append(names, user(who.User))
		}
	}
	if len(names) == 0 {
		names = append(names, plain("nobody"))
	}
	s := plain("May confirm: ") + strings.Join(names, plain(", ")) + plain(".")
	if len(c.Rules) > 1 {
		s += plain(fmt.Sprintf(" Its targets fall under policy rules %s, and these are who all of them allow.", quoteAll(c.Rules)))
	}
	if c.TwoPerson {
		s += plain(fmt.Sprintf(" Policy rule %q needs two people, so ", c.Rule)) + user(c.Requester) + plain(", who asked, cannot confirm it.")
	}
	return s
}

// Text names them plainly, for the console and logs.
func (c *Confirmers) Text() string {
	same := func(s string) string { return s }
	return c.Words(same, same, func(p Principal) string { return "@" + p.Group })
}

// confirmers are who may confirm r under the policy: those every rule
// deciding one of its targets allows. Nil without a policy (anyone may) or
// where no rule covers a target.
func (s *Service) confirmers(ctx context.Context, r Request) *Confirmers {
	if s.policy == nil {
		return nil
	}
	ds := s.policy.decide(r.action())
	if _, ok := uncovered(ds); ok {
		return nil
	}
	rs := rules(ds)
	deciding := rs[0]
	if i := slices.IndexFunc(rs, func(rule *Rule) bool { return rule.TwoPerson }); i >= 0 {
		deciding = rs[i]
	}
	c := &Confirmers{Rule: deciding.Name, TwoPerson: deciding.TwoPerson}
	if len(rs) > 1 {
		for _, rule := range rs {
			c.Rules = append(c.Rules, rule.Name)
		}
	}
	left := "" // nobody is left out, unless two people are needed
	if c.TwoPerson {
		c.Requester, left = r.Requester, r.Requester
	}
	c.Who = s.policy.allowedBy(ctx, rs, left)
	for i, who := range c.Who {
		if who.GroupID != "" {
			c.Who[i].Members = nil // the group's mention reaches them all
		}
	}
	return c
}

// allowedBy are the people every one of rules lets confirm, as a refusal
// names them to user (left out): the first rule's confirmers, narrowed by
// each other rule's.
func (p *Policy) allowedBy(ctx context.Context, rules []*Rule, user string) []Principal {
	who := p.instead(ctx, rules[0].Confirmers, user)
	for _, rule := range rules[1:] {
		who = p.narrow(ctx, who, rule.Confirmers, user)
	}
	return who
}

// narrow keeps of who those that confirmers (IDs, @groups, "*") also name:
// anyone becomes confirmers themselves, a group they do not name its
// members they do. A member who cannot be checked is left out.
func (p *Policy) narrow(ctx context.Context, who []Principal, confirmers []string, user string) []Principal {
	var out []Principal
	add := func(q Principal) {
		if !slices.ContainsFunc(out, func(o Principal) bool { return o.Anyone == q.Anyone && o.User == q.User && o.Group == q.Group }) {
			out = append(out, q)
		}
	}
	named := func(u string) bool {
		ok, err := p.includes(ctx, confirmers, u)
		return ok && err == nil
	}
	for _, w := range who {
		switch {
		case w.Anyone:
			for _, q := range p.instead(ctx, confirmers, user) {
				add(q)
			}
		case w.Group != "" && (slices.Contains(confirmers, "*") || slices.Contains(confirmers, "@"+w.Group)):
			add(w)
		case w.Group != "":
			for _, m := range w.Members {
				if named(m) {
					add(Principal{User: m})
				}
			}
		case named(w.User):
			add(w)
		}
	}
	return out
}

// quoteAll words names as `"a", "b" and "c"`.
func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

// reminderDue reports whether r, pending, has less than a fifth of its
// time to be confirmed left and has not been reminded of.
func reminderDue(r Request, now time.Time) bool {
	left := r.ExpiresAt.Sub(now)
	return r.State == Pending && !r.Reminded && left > 0 && left < r.ExpiresAt.Sub(r.CreatedAt)/5
}

// remind reminds the people who may confirm r, once across replicas: the
// flag is written with the revision r was read at, so that of the sweeps
// that find it due only the first one's write lands.
func (s *Service) remind(ctx context.Context, r Request) {
	r.Reminded = true
	rev, err := s.store.Update(ctx, r)
	if err != nil {
		if !errors.Is(err, ErrConflict) { // another replica reminded, or it was decided
			s.log.Warn("could not store that a request's reminder is due; will try again", "request", r.ID, "err", err)
		}
		return
	}
	r.Revision = rev
	left := roundDuration(r.ExpiresAt.Sub(s.now()))
	s.notify(ctx, Notice{Request: r, Kind: Reminder,
		Text: fmt.Sprintf("Reminder: %s (%s %s) is still waiting for confirmation and expires in %s, at %s.",
			r.ID, r.Op, r.TargetName(), left, r.ExpiresAt.UTC().Format("15:04:05 MST"))})
}
