package ops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Confirmers are who may confirm a request under the policy, as its card
// names them so that they are told; they are fixed when the request is
// made, so that every replica and the reminder name the same people.
type Confirmers struct {
	Rule string      `json:"rule"`
	Who  []Principal `json:"who"` // in the rule's order, the requester left out under two_person
	// TwoPerson: the requester may not confirm it.
	TwoPerson bool   `json:"two_person,omitempty"`
	Requester string `json:"requester,omitempty"`
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

// confirmers are who may confirm r under the policy; nil without a policy
// (anyone may) or a rule covering r.
func (s *Service) confirmers(ctx context.Context, r Request) *Confirmers {
	if s.policy == nil {
		return nil
	}
	rule := s.policy.rule(r.action())
	if rule == nil {
		return nil
	}
	c := &Confirmers{Rule: rule.Name, TwoPerson: rule.TwoPerson}
	left := "" // nobody is left out, unless two people are needed
	if rule.TwoPerson {
		c.Requester, left = r.Requester, r.Requester
	}
	c.Who = s.policy.instead(ctx, rule.Confirmers, left)
	for i, who := range c.Who {
		if who.GroupID != "" {
			c.Who[i].Members = nil // the group's mention reaches them all
		}
	}
	return c
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
