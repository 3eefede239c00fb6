package ops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// recentSpan is how far back RecentBy looks in the audit trail: a day is
// what an on-call person scrolls back through, and reading less of the
// trail keeps a Home tab's refresh cheap.
const recentSpan = 24 * time.Hour

// WaitingFor lists the pending requests user may confirm under the policy,
// oldest (the first to expire) first: what waits on them, from the open
// requests every replica sees.
func (s *Service) WaitingFor(ctx context.Context, user string) ([]Request, error) {
	open, err := s.store.Open(ctx)
	if err != nil {
		return nil, fmt.Errorf("could not read the open requests from NATS: %w", err)
	}
	now := s.now()
	var waiting []Request
	for _, r := range open {
		if r.State != Pending || !now.Before(r.ExpiresAt) {
			continue
		}
		err := s.mayDecide(ctx, r, user, Executing)
		var bad *InputError
		if err != nil && !errors.As(err, &bad) {
			// A group whose members could not be read: the others are still listed.
			s.log.Warn("could not tell whether a user may confirm a request", "request", r.ID, "user", user, "err", err)
		}
		if err == nil {
			waiting = append(waiting, r)
		}
	}
	slices.SortFunc(waiting, func(a, b Request) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return waiting, nil
}

// RecentBy lists the last n requests user asked for in the last day,
// newest first, each as its audit events leave it: state, who decided,
// outcome. It reads the audit trail, so it holds requests from every
// replica and from before a restart.
func (s *Service) RecentBy(ctx context.Context, user string, n int) ([]Request, error) {
	if s.trail == nil {
		return nil, errors.New("the audit trail is not set up, so past requests cannot be listed")
	}
	events, err := s.trail.Events(ctx, s.now().Add(-recentSpan))
	if err != nil {
		return nil, fmt.Errorf("could not read the audit trail from NATS: %w", err)
	}
	type seen struct {
		r    Request
		last int // the index of its latest event
	}
	byID := map[string]*seen{}
	for i, e := range events {
		if e.Requester != user || e.State == Checked {
			continue
		}
		got, ok := byID[e.RequestID]
		if !ok {
			got = &seen{r: Request{ID: e.RequestID, Op: e.Op, Target: e.Target, MoreTargets: e.MoreTargets, Group: e.Group, Requester: e.Requester, Origin: e.Origin, CreatedAt: e.Time}}
			byID[e.RequestID] = got
		}
		got.last, got.r.State, got.r.Outcome = i, e.State, cmp.Or(e.Outcome, got.r.Outcome)
		if e.Actor != "" && (e.State == Executing || e.State == Cancelled) {
			got.r.DecidedBy, got.r.DecidedAt = e.Actor, e.Time
		}
	}
	all := slices.SortedFunc(maps.Values(byID), func(a, b *seen) int { return b.last - a.last })
	recent := make([]Request, 0, min(n, len(all)))
	for _, got := range all[:min(n, len(all))] {
		recent = append(recent, got.r)
	}
	return recent, nil
}
