package ops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Reason is why the policy refused.
type Reason int

const (
	// NoRule: no rule covers the operation where it was asked for.
	NoRule Reason = iota + 1
	// NotRequester: the rule does not name the user among its requesters.
	NotRequester
	// NotConfirmer: the rule does not name the user among its confirmers,
	// who also cancel.
	NotConfirmer
	// TwoPeople: the rule needs two people and the user asked for it.
	TwoPeople
)

// Refusal is the policy's no as a value, for each front end to word; its
// Error is the plain wording, for the console and logs. Refusals reach
// callers wrapped in an *InputError.
type Refusal struct {
	Why       Reason
	Rule      string // the rule's name; "" for NoRule
	Operation string // the command name, like "pipeline pause"
	// Target names the target refused, as a person types it ("job
	// orders-dr"), when what decides depends on the target: a rule with
	// targets, or no rule for this target where one covers others.
	Target string
	User   string // who was refused
	// Channel is where the request was asked for ("": the console).
	Channel string
	// Request is the request decided on; "" when asking for one.
	Request string
	Cancel  bool // deciding was cancelling, not confirming
	// Instead are who could do it instead, in the rule's order.
	Instead []Principal
}

// Principal is one entry of a rule's list of people, as a refusal names it.
type Principal struct {
	Anyone  bool     `json:"anyone,omitempty"`   // "*"
	User    string   `json:"user,omitempty"`     // a Slack user ID, or the console user's name
	Group   string   `json:"group,omitempty"`    // a user group's handle, without @
	GroupID string   `json:"group_id,omitempty"` // the group's ID in Slack, for a mention; "" when unknown
	Members []string `json:"members,omitempty"`  // the group's members as last read, less the refused user
	NoGroup bool     `json:"no_group,omitempty"` // no user group has the handle
}

// Error words the refusal plainly.
func (r *Refusal) Error() string {
	same := func(s string) string { return s }
	return r.Words(same, same)
}

// Words words the refusal: user renders a user (the refused one, and those
// who could instead), plain every other part of the text.
func (r *Refusal) Words(plain, user func(string) string) string {
	p := func(format string, a ...any) string { return plain(fmt.Sprintf(format, a...)) }
	verb := "confirm"
	if r.Cancel {
		verb = "cancel"
	}
	op := r.Operation
	if r.Target != "" {
		op += " on " + r.Target
	}
	switch r.Why {
	case NoRule:
		if r.Request == "" {
			return p("Refused: no policy rule covers %s %s, so nobody may ask for it there. Nothing was done.", op, where(r.Channel))
		}
		return p("Refused: no policy rule covers %s %s any more, so nobody may %s %s. Nothing was done; %s is still pending.",
			op, where(r.Channel), verb, r.Request, r.Request)
	case NotRequester:
		return p("Refused by policy rule %q: ", r.Rule) + user(r.User) + p(" may not ask for %s %s. Who may: ", op, where(r.Channel)) +
			r.instead(plain, user) + p(". Nothing was done.")
	case TwoPeople:
		return p("Refused by policy rule %q: it needs two people, and ", r.Rule) + user(r.User) +
			p(" asked for %s, so someone else must confirm it. Who may: ", r.Request) + r.instead(plain, user) + p(". Nothing was done; %s is still pending.", r.Request)
	default: // NotConfirmer
		return p("Refused by policy rule %q: ", r.Rule) + user(r.User) + p(" may not %s %s (%s). Who may: ", verb, r.Request, op) +
			r.instead(plain, user) + p(". Nothing was done; %s is still pending.", r.Request)
	}
}

// instead words who could instead: each group followed by its members.
func (r *Refusal) instead(plain, user func(string) string) string {
	if len(r.Instead) == 0 {
		return plain("nobody else")
	}
	words := make([]string, len(r.Instead))
	for i, who := range r.Instead {
		switch {
		case who.Anyone:
			words[i] = plain("anyone")
		case who.Group == "":
			words[i] = user(who.User)
		case who.NoGroup:
			words[i] = plain("@" + who.Group + " (no such user group)")
		case len(who.Members) > 0:
			members := make([]string, len(who.Members))
			for j, m := range who.Members {
				members[j] = user(m)
			}
			words[i] = plain("@"+who.Group+" (") + strings.Join(members, plain(", ")) + plain(")")
		default:
			words[i] = plain("@" + who.Group)
		}
	}
	return strings.Join(words, plain(", "))
}

// refuse is a refusal as the error callers get: input shown to the person.
func refuse(r Refusal) error {
	return &InputError{Msg: r.Error(), Err: &r}
}

// instead is who (IDs, @groups, "*") as a refusal names them to user:
// without user, each group with its members but user.
func (p *Policy) instead(ctx context.Context, who []string, user string) []Principal {
	var out []Principal
	for _, w := range who {
		handle, group := strings.CutPrefix(w, "@")
		switch {
		case w == "*":
			out = append(out, Principal{Anyone: true})
		case w == user:
		case group:
			out = append(out, p.group(ctx, handle, user))
		default:
			out = append(out, Principal{User: w})
		}
	}
	return out
}

// group is the user group with handle, its members read when they can be.
func (p *Policy) group(ctx context.Context, handle, user string) Principal {
	g := Principal{Group: handle}
	if p.Groups == nil {
		return g
	}
	g.GroupID = p.Groups.ID(ctx, handle)
	members, err := p.Groups.Members(ctx, handle)
	switch {
	case errors.Is(err, ErrNoGroup):
		g.NoGroup = true
	case err == nil:
		if others := slices.DeleteFunc(slices.Clone(members), func(m string) bool { return m == user }); len(others) > 0 {
			g.Members = others
		}
	}
	return g
}

func where(channel string) string {
	if channel == "" {
		return "at the console"
	}
	return "in this channel"
}
