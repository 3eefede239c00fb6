package ops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Sweep ends the requests nobody will finish: pending ones past their
// expiry, executing ones whose bot stopped mid-call, and ones whose last
// write was in doubt. It reads only the open requests, however many
// finished ones the store keeps. Run calls it every SweepInterval.
func (s *Service) Sweep(ctx context.Context) {
	s.settleDoubts(ctx)
	open, err := s.store.Open(ctx)
	if err != nil {
		s.log.Warn("could not list open requests to expire them; will try again", "err", err)
		return
	}
	now := s.now()
	for _, r := range open {
		var (
			to   State
			out  *Outcome
			text string
		)
		switch {
		case r.State == Pending && !now.Before(r.ExpiresAt):
			to, text = Expired, "Expired unconfirmed: nothing was done."
		case reminderDue(r, now):
			s.remind(ctx, r)
			continue
		case r.State == Executing && now.Sub(r.DecidedAt) >= s.abandonAfter(r):
			if _, running := s.inflight.Load(r.ID); running {
				continue // the call is still under way here: its outcome will come
			}
			to, out = Uncertain, lostCall(r, "the bot carrying it out stopped before it heard back from "+r.Target.Provider)
			text = out.Summary
		default:
			continue
		}
		r, err := s.transition(ctx, r, to, "", out)
		if err != nil {
			if !errors.Is(err, ErrConflict) {
				s.log.Warn("could not end request", "request", r.ID, "state", string(to), "err", err)
			}
			continue
		}
		s.notify(ctx, Notice{Request: r, Text: text})
	}
}

// lostCall is the outcome of r's calls, which nobody will hear back from.
func lostCall(r Request, reason string) *Outcome {
	msg := "it may or may not have acted. Check the target's status before asking again"
	if len(r.MoreTargets) > 0 {
		msg = fmt.Sprintf("each of its calls, on %s, may or may not have acted. Check each target's status before asking again", r.TargetName())
	}
	f := &Failure{Uncertain: true, Reason: reason, Message: msg}
	return &Outcome{Error: f, Summary: "Outcome uncertain: " + f.Reason + ", so " + f.Message + "."}
}

// Abandon is for a bot stopping with calls still in flight: it stores that
// each one's outcome is uncertain and why, records it, and tells the people
// who asked, so that nobody waits abandon_after to learn it. It returns
// those requests, as stored or, when the store did not answer within ctx,
// as they would have been. A call that returns before the bot exits still
// stores its real outcome over this one (see finish).
func (s *Service) Abandon(ctx context.Context) []Request {
	var left []Request
	for _, r := range s.InFlight() {
		out := lostCall(r, "the bot was stopped before it heard back from "+r.Target.Provider)
		stored, err := s.transition(ctx, r, Uncertain, "", out)
		if errors.Is(err, ErrConflict) {
			// Read again: the call may have stored its outcome, another
			// replica reported it, or the copy here missed its last write.
			cur, gerr := s.store.Get(ctx, r.ID)
			switch {
			case gerr != nil:
				err = gerr
			case cur.State != Executing:
				continue
			default:
				stored, err = s.transition(ctx, cur, Uncertain, "", out)
			}
		}
		switch {
		case errors.Is(err, ErrConflict):
			continue // changed again: by the call itself, which is heard
		case err != nil:
			s.log.Error("could not store that a stopped call's outcome is uncertain: the store says executing until another bot reports it abandoned",
				"request", r.ID, "abandon_after", s.set.AbandonAfter, "err", err)
		}
		left = append(left, stored)
		s.notify(ctx, Notice{Request: stored, Text: out.Summary})
	}
	return left
}

// doubt is a request whose last write failed without proof that it did not
// land: a created request the requester was told was not made, or a
// confirmation the bot did not act on.
func (s *Service) doubt(r Request) {
	s.doubts.Store(r.ID, doubtful{decidedBy: r.DecidedBy, decidedAt: r.DecidedAt})
}

// doubtful is what a doubtful write held: a pending request, or (with
// decidedBy) its move to executing at decidedAt.
type doubtful struct {
	decidedBy string
	decidedAt time.Time
}

// settleDoubts withdraws every doubtful write that did land, once NATS
// answers again, so that nobody confirms a request its requester was told
// does not exist, and no confirmation stays executing with no call behind it.
func (s *Service) settleDoubts(ctx context.Context) {
	s.doubts.Range(func(key, value any) bool {
		id, d := key.(string), value.(doubtful)
		r, err := s.store.Get(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound):
			s.doubts.Delete(id)
			return true
		case err != nil:
			return true // NATS is still away; try again next sweep
		}
		state := Pending
		if d.decidedBy != "" {
			state = Executing
		}
		// Only the doubtful write itself is withdrawn, not a later
		// confirmation that went through.
		_, running := s.inflight.Load(id)
		if r.State != state || running || (d.decidedBy != "" && (r.DecidedBy != d.decidedBy || !r.DecidedAt.Equal(d.decidedAt))) {
			s.doubts.Delete(id)
			return true
		}
		msg := "Withdrawn: the bot could not confirm that this request was stored and told its requester so; nothing was done. Ask again."
		if state == Executing {
			msg = fmt.Sprintf("Not carried out: the bot could not record %s's confirmation, so it did not call %s; nothing was done. Ask again.", d.decidedBy, r.Target.Provider)
		}
		out := &Outcome{Summary: msg, Error: &Failure{Message: msg}}
		if _, err := s.transition(ctx, r, Failed, "", out); err == nil || errors.Is(err, ErrConflict) {
			s.doubts.Delete(id)
		}
		return true
	})
}

// checkStatus reads a target of r after its call, whose outcome is o,
// until it shows the expected status or the check times out: a 200 only
// says the provider accepted the call, and after an uncertain outcome the
// status is all there is to know. Each target of a request is checked on
// its own.
func (s *Service) checkStatus(ctx context.Context, r Request, o TargetOutcome, c *StatusCheck) {
	t := o.Target
	one := r.on(t)
	uncertain := o.Outcome.Error != nil // only calls that succeeded or may have are checked
	start := s.now()
	deadline := start.Add(s.set.CheckTimeout)
	tick := time.NewTicker(s.set.CheckInterval)
	defer tick.Stop()
	var status string
	var lastErr error
	for {
		status, lastErr = c.Status(ctx, one)
		status = PlainText(status)
		if lastErr == nil && c.Reached(one, status) {
			s.statusChecked(r, CheckReached)
			text := fmt.Sprintf("%s %s %s %s%s after %s.", t.Kind, t.Name(), c.verb(), status, c.Note, roundDuration(s.now().Sub(start)))
			if uncertain {
				text += " So the call did take effect."
			}
			s.followUp(ctx, r, text)
			return
		}
		if !s.now().Before(deadline) {
			break
		}
		select {
		case <-tick.C:
		case <-s.stopping:
			s.statusChecked(r, CheckStopped)
			s.followUp(ctx, r, fmt.Sprintf("Stopped watching %s %s as the bot is shutting down; it was %s, not yet %s. Check it with `%s show`.",
				t.Kind, t.Name(), OrUnknown(status), c.Want, t.Kind))
			return
		}
	}
	s.statusChecked(r, CheckTimedOut)
	text := fmt.Sprintf("%s %s still %s %s after %s, not %s: check it in the provider's console.", t.Kind, t.Name(), c.verb(), status, roundDuration(s.now().Sub(start)), c.Want)
	if uncertain {
		text = fmt.Sprintf("%s %s still %s %s after %s, not %s: it looks as if the call did not take effect, but check it in the provider's console before asking again.",
			t.Kind, t.Name(), c.verb(), status, roundDuration(s.now().Sub(start)), c.Want)
	}
	if lastErr != nil {
		text = fmt.Sprintf("Could not read the status of %s %s after %s: %s. Check it in the provider's console.", t.Kind, t.Name(), roundDuration(s.now().Sub(start)), failureOf(lastErr).Text())
	}
	s.followUp(ctx, r, text)
}

// Pending lists the requests still waiting for a decision or being carried
// out, oldest first.
func (s *Service) Pending(ctx context.Context) ([]Request, error) {
	open, err := s.store.Open(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(open, func(a, b Request) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return open, nil
}

// InFlight lists the requests whose provider call has not returned yet, for
// a shutdown to say which it leaves uncertain.
func (s *Service) InFlight() []Request {
	var rs []Request
	s.inflight.Range(func(_, v any) bool {
		rs = append(rs, v.(Request))
		return true
	})
	slices.SortFunc(rs, func(a, b Request) int { return a.DecidedAt.Compare(b.DecidedAt) })
	return rs
}
