package ops

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memberGroups are Slack's user groups by handle.
type memberGroups map[string][]string

func (g memberGroups) Members(_ context.Context, handle string) ([]string, error) {
	m, ok := g[handle]
	if !ok {
		return nil, fmt.Errorf("@%s: %w", handle, ErrNoGroup)
	}
	return m, nil
}

func (memberGroups) ID(context.Context, string) string { return "" }

// jobsDir has two production jobs, in the group @production, and a
// staging one.
var jobsDir = Directory{
	Aliases: Targets{"job": {"orders-dr": "j-1", "clicks-dr": "j-3", "staging-dr": "j-2"}},
	Groups:  map[string][]string{"production": {"job:orders-dr", "job:clicks-dr"}},
}

var (
	stagingJob = Target{Kind: "job", Alias: "staging-dr", ID: "j-2"}
	ordersJob  = Target{Kind: "job", Alias: "orders-dr", ID: "j-1"}
	clicksJob  = Target{Kind: "job", Alias: "clicks-dr", ID: "j-3"}
)

// deciding is a service with only its policy: what decides on requests
// before anything is stored.
func deciding(rules ...Rule) *Service {
	return &Service{policy: &Policy{Rules: rules, Targets: jobsDir,
		Groups: memberGroups{"oncall": {"U0BOB", "U0CAROL"}, "sre-leads": {"U0LEAD", "U0BOB"}}}}
}

func refusalText(t *testing.T, err error) string {
	t.Helper()
	var no *Refusal
	require.True(t, errors.As(err, &no), "want a refusal, got %v", err)
	return no.Error()
}

// A request on several targets may be asked for only if every target's
// rule allows the requester; the refusal names the target and its rule.
func TestMayRequestOnSeveralTargets(t *testing.T) {
	s := deciding(
		Rule{Name: "prod-switch", Operations: []string{"job switch"}, Targets: []string{"@production"}, Requesters: []string{"@sre-leads"}, Confirmers: []string{"@sre-leads"}},
		Rule{Name: "staging", Operations: []string{"job *"}, Targets: []string{"staging-*"}, Requesters: []string{"@oncall"}, Confirmers: []string{"*"}},
	)
	ctx := context.Background()
	action := func(user string, targets ...Target) Action {
		return Action{Op: "job switch", Origin: Origin{Frontend: FrontendSlack, Channel: "C0OPS"}, Requester: user, Targets: targets}
	}
	require.NoError(t, s.mayRequest(ctx, action("U0CAROL", stagingJob)))
	assert.Equal(t, `Refused by policy rule "prod-switch": U0CAROL may not ask for job switch on job orders-dr in this channel. Who may: @sre-leads (U0LEAD, U0BOB). Nothing was done.`,
		refusalText(t, s.mayRequest(ctx, action("U0CAROL", stagingJob, ordersJob, clicksJob))), "the first target its rule refuses")
	assert.Equal(t, `Refused by policy rule "staging": U0LEAD may not ask for job switch on job staging-dr in this channel. Who may: @oncall (U0BOB, U0CAROL). Nothing was done.`,
		refusalText(t, s.mayRequest(ctx, action("U0LEAD", ordersJob, stagingJob))))
	require.NoError(t, s.mayRequest(ctx, action("U0BOB", stagingJob, ordersJob, clicksJob)), "in both groups")
	assert.Equal(t, `Refused: no policy rule covers job switch on job j-9 in this channel, so nobody may ask for it there. Nothing was done.`,
		refusalText(t, s.mayRequest(ctx, action("U0BOB", stagingJob, Target{Kind: "job", ID: "j-9"}))))

	// An alert's request is not refused for its requester, still for a
	// target no rule covers.
	alert := action("rule-dr", stagingJob, ordersJob)
	alert.Origin.Frontend = FrontendAlert
	require.NoError(t, s.mayRequest(ctx, alert))
	alert.Targets = append(alert.Targets, Target{Kind: "job", ID: "j-9"})
	assert.Contains(t, refusalText(t, s.mayRequest(ctx, alert)), "no policy rule covers job switch on job j-9")
}

// The card's confirmers are the people every deciding rule allows; a
// one-target request's are its rule's, as before.
func TestConfirmersOfSeveralTargets(t *testing.T) {
	ctx := context.Background()
	request := func(requester string, targets ...Target) Request {
		r := Request{ID: "r-000001", Op: "job switch", Requester: requester, Origin: Origin{Frontend: FrontendSlack, Channel: "C0OPS"}}
		r.setTargets(targets)
		return r
	}
	s := deciding(
		Rule{Name: "prod-switch", Operations: []string{"job switch"}, Targets: []string{"@production"}, Requesters: []string{"*"}, Confirmers: []string{"@sre-leads"}, TwoPerson: true},
		Rule{Name: "staging", Operations: []string{"job *"}, Targets: []string{"job:staging-*"}, Requesters: []string{"*"}, Confirmers: []string{"*"}},
	)
	assert.Equal(t, &Confirmers{Rule: "staging", Who: []Principal{{Anyone: true}}}, s.confirmers(ctx, request("U0BOB", stagingJob)))
	assert.Equal(t, &Confirmers{Rule: "prod-switch", Who: []Principal{{Group: "sre-leads", Members: []string{"U0LEAD"}}}, TwoPerson: true, Requester: "U0BOB"},
		s.confirmers(ctx, request("U0BOB", ordersJob, clicksJob)), "one rule decides both targets: as for one")

	both := s.confirmers(ctx, request("U0BOB", stagingJob, ordersJob))
	assert.Equal(t, &Confirmers{Rule: "prod-switch", Rules: []string{"staging", "prod-switch"}, Who: []Principal{{Group: "sre-leads", Members: []string{"U0LEAD"}}},
		TwoPerson: true, Requester: "U0BOB"}, both, "anyone, narrowed to the leads, less who asked")
	assert.Equal(t, `May confirm: @sre-leads. Its targets fall under policy rules "staging" and "prod-switch", and these are who all of them allow. Policy rule "prod-switch" needs two people, so U0BOB, who asked, cannot confirm it.`,
		both.Text())

	err := s.mayDecide(ctx, request("U0BOB", stagingJob, ordersJob), "U0BOB", Executing)
	assert.Equal(t, `Refused by policy rule "prod-switch": it needs two people, and U0BOB asked for r-000001, so someone else must confirm it. Who may: @sre-leads (U0LEAD). Nothing was done; r-000001 is still pending.`,
		refusalText(t, err), "two people if any rule needs them")
	require.NoError(t, s.mayDecide(ctx, request("U0BOB", stagingJob, ordersJob), "U0LEAD", Executing))

	// Two lists of people: those both name, group members included.
	s = deciding(
		Rule{Name: "staging", Operations: []string{"job *"}, Targets: []string{"staging-*"}, Requesters: []string{"*"}, Confirmers: []string{"@oncall", "U0LEAD", "U0EVE"}},
		Rule{Name: "prod-switch", Operations: []string{"job switch"}, Targets: []string{"@production"}, Requesters: []string{"*"}, Confirmers: []string{"@sre-leads", "U0CAROL"}},
	)
	assert.Equal(t, []Principal{{User: "U0LEAD"}, {User: "U0BOB"}, {User: "U0CAROL"}}, s.confirmers(ctx, request("U0MALLORY", ordersJob, stagingJob)).Who,
		"the leads and Carol, less U0EVE whom production's rule does not name")

	// Someone a rule names twice, by name and in a group, is named once.
	s = deciding(
		Rule{Name: "prod-switch", Operations: []string{"job switch"}, Targets: []string{"@production"}, Requesters: []string{"*"}, Confirmers: []string{"@sre-leads", "U0BOB"}},
		Rule{Name: "staging", Operations: []string{"job *"}, Targets: []string{"staging-*"}, Requesters: []string{"*"}, Confirmers: []string{"@oncall"}},
	)
	assert.Equal(t, `May confirm: U0BOB. Its targets fall under policy rules "prod-switch" and "staging", and these are who all of them allow.`,
		s.confirmers(ctx, request("U0MALLORY", ordersJob, stagingJob)).Text())

	// A group a later rule names too, or that anyone may confirm, stays whole.
	s = deciding(
		Rule{Name: "prod-switch", Operations: []string{"job switch"}, Targets: []string{"@production"}, Requesters: []string{"*"}, Confirmers: []string{"@sre-leads"}},
		Rule{Name: "staging", Operations: []string{"job *"}, Targets: []string{"staging-*"}, Requesters: []string{"*"}, Confirmers: []string{"*"}},
	)
	assert.Equal(t, []Principal{{Group: "sre-leads", Members: []string{"U0LEAD", "U0BOB"}}}, s.confirmers(ctx, request("U0MALLORY", ordersJob, stagingJob)).Who)
}
