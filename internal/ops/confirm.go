package ops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Confirm executes a pending request on behalf of user. However many times
// and on however many replicas it is called for one request, the provider is
// called at most once: the move to executing is a compare-and-swap. And only
// one request acts on a target at a time: a second one waits for the first
// to end (and is then checked against the target again), or is refused.
func (s *Service) Confirm(ctx context.Context, id, user string) (Request, error) {
	r, err := s.get(ctx, id)
	if err != nil {
		return r, err
	}
	if r.State != Pending {
		return r, &InputError{Msg: alreadyDecided(r)}
	}
	if err := s.mayDecide(ctx, r, user, Executing); err != nil {
		return r, err
	}
	op, ok := s.catalogue.byName[r.Op]
	if !ok || !op.Changes() {
		// Another replica, with that provider, may carry it out.
		return r, &InputError{Msg: fmt.Sprintf("this bot cannot carry out %s: its provider is not configured here. Nothing was done and %s is still pending", r.Op, r.ID)}
	}
	release, cur, err := s.holdTargets(ctx, r)
	if err != nil {
		return cur, err
	}
	// Known to be in flight here before it shows as executing anywhere, so
	// that this replica's sweep never calls it abandoned, and a shutdown
	// waits for it.
	s.background.Add()
	s.inflight.Store(r.ID, r)
	r, err = s.decide(ctx, cur, user, Executing)
	if err != nil {
		s.inflight.Delete(id)
		s.background.Done()
		release()
		return r, err
	}
	s.inflight.Store(r.ID, r)
	s.started(ctx, r)
	// The calls must finish even if whoever confirmed goes away: a
	// half-known outcome is worse than a late one.
	callCtx := context.WithoutCancel(ctx)
	outs := s.callEach(callCtx, op, r)
	r = withOutcomes(r, outs)
	r.Outcome.Undo = undoOf(op, r)
	r = s.finish(callCtx, r)
	s.inflight.Delete(r.ID)
	s.notify(callCtx, Notice{Request: r})
	s.checkAfter(callCtx, r, op, outs, release)
	return r, nil
}

// checkAfter reads the status of each target whose call succeeded or may
// have, in the background, and then releases the targets: they stay
// claimed until their status is known.
func (s *Service) checkAfter(ctx context.Context, r Request, op *operation, outs []TargetOutcome, release func()) {
	var check []TargetOutcome
	for _, o := range outs {
		if e := o.Outcome.Error; (e == nil || e.Uncertain) && op.Check != nil && o.Target.ID != "" {
			check = append(check, o)
		}
	}
	if len(check) == 0 {
		release()
		s.background.Done()
		return
	}
	go func() {
		defer s.background.Done()
		defer release()
		var wg sync.WaitGroup
		for _, o := range check {
			wg.Go(func() { s.checkStatus(ctx, r, o, op.Check) })
		}
		wg.Wait()
	}()
}

// maxCalls bounds the calls of one request made at once: a group's
// targets are called together, but not so many that a provider's rate
// limit or the bot's connections are spent on one request.
const maxCalls = 8

// callEach makes the call of each target of r, at most maxCalls at once,
// and returns their outcomes in r's order of targets.
func (s *Service) callEach(ctx context.Context, op *operation, r Request) []TargetOutcome {
	targets := r.Targets()
	outs := make([]TargetOutcome, len(targets))
	slots := make(chan struct{}, maxCalls)
	var wg sync.WaitGroup
	for i, t := range targets {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			outs[i] = s.call(ctx, op, r.on(t))
		})
	}
	wg.Wait()
	return outs
}

// rounds is how many rounds of at most maxCalls calls a request on n
// targets takes: how many times the longest call its time is allowed.
func rounds(n int) int {
	return (n + maxCalls - 1) / maxCalls
}

// call carries out r, narrowed to one target, and says what it did.
func (s *Service) call(ctx context.Context, op *operation, r Request) TargetOutcome {
	start := s.now()
	out, err := op.Execute(ctx, r)
	if s.metrics != nil {
		s.metrics.ProviderCall(r.Target.Provider, r.Target.Key().Account, r.Op, s.now().Sub(start), err)
	}
	if err != nil {
		f := failureOf(err)
		out = Outcome{Error: f, RequestID: cmp.Or(f.RequestID, out.RequestID), JobID: out.JobID}
		out.Summary = fmt.Sprintf("Could not %s: %s", op.Verb(r), f.Text())
		if f.Uncertain {
			out.Summary = uncertainSummary(r, op, f)
		}
		return TargetOutcome{Target: r.Target, Outcome: out}
	}
	if r.Target.ID == "" {
		r.Target.ID = out.JobID // a created job has its ID now
	}
	out.Summary = op.Done(r, out)
	return TargetOutcome{Target: r.Target, Outcome: out}
}

// withOutcomes is r with what its calls did: a request on one target has
// that target's outcome; one on several keeps each and sums them up, as
// uncertain if any call may have acted unseen, failed if any failed.
func withOutcomes(r Request, outs []TargetOutcome) Request {
	targets := make([]Target, len(outs))
	for i, o := range outs {
		targets[i] = o.Target // with the IDs of what was created
	}
	r.setTargets(targets)
	if len(outs) == 1 {
		r.Outcome = &outs[0].Outcome
		return r
	}
	r.Outcomes = outs
	sum := Outcome{}
	var uncertain, failed, done []string
	for _, o := range outs {
		e := o.Outcome.Error
		switch {
		case e == nil:
			done = append(done, o.Outcome.Summary)
		case e.Uncertain:
			uncertain = append(uncertain, o.Outcome.Summary)
		default:
			failed = append(failed, o.Outcome.Summary)
		}
		if e != nil && (sum.Error == nil || e.Uncertain && !sum.Error.Uncertain) {
			sum.Error = e
		}
	}
	sum.Summary = strings.Join(done, "\n")
	if sum.Error != nil {
		// The ones that may have acted unseen first, then the ones that
		// failed, each under its heading, so none reads as done.
		sum.Summary = strings.Join(slices.Concat(
			outcomeLines("Uncertain", len(outs), uncertain),
			outcomeLines("Failed", len(outs), failed),
			outcomeLines("Done", len(outs), done)), "\n")
	}
	r.Outcome = &sum
	return r
}

// outcomeLines are the summaries of one kind of outcome under a heading
// that counts them: "Failed (1 of 3):".
func outcomeLines(heading string, of int, summaries []string) []string {
	if len(summaries) == 0 {
		return nil
	}
	lines := []string{fmt.Sprintf("%s (%d of %d):", heading, len(summaries), of)}
	for _, s := range summaries {
		lines = append(lines, "- "+s)
	}
	return lines
}

// uncertainSummary says plainly that the call may have acted, and why.
func uncertainSummary(r Request, op *operation, f *Failure) string {
	detail := f.Text()
	if f.Code != "" || f.RequestID != "" { // an answer, not a transport error
		detail = r.Target.Provider + " said: " + detail
	}
	next := fmt.Sprintf("Reading the %s's status to find out; check it before asking again.", r.Target.Kind)
	if r.Target.ID == "" || op.Check == nil { // a job yet to be created has no ID to read
		next = fmt.Sprintf("Check the provider's console for %s %s before asking again.", r.Target.Kind, r.Target.Name())
	}
	return fmt.Sprintf("Outcome uncertain: %s, so the call to %s may have taken effect. %s. %s", f.Reason, op.Verb(r), detail, next)
}

// Cancel ends a pending request without calling anything.
func (s *Service) Cancel(ctx context.Context, id, user string) (Request, error) {
	r, err := s.get(ctx, id)
	if err != nil {
		return r, err
	}
	if r.State == Pending {
		if err := s.mayDecide(ctx, r, user, Cancelled); err != nil {
			return r, err
		}
	}
	if r, err = s.decide(ctx, r, user, Cancelled); err != nil {
		return r, err
	}
	s.notify(ctx, Notice{Request: r})
	return r, nil
}

// get reads a request for a decision on it. No request has the ID: an
// *InputError wrapping ErrNotFound.
func (s *Service) get(ctx context.Context, id string) (Request, error) {
	if !ValidRequestID(id) {
		return Request{}, &InputError{Msg: fmt.Sprintf("%q is not a request ID: they look like r-7f3a9c", id), Err: ErrNotFound}
	}
	r, err := s.store.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Request{}, &InputError{Msg: fmt.Sprintf("there is no request %s: it may have been finished more than a week ago, or mistyped. `pending` lists the open ones", id), Err: ErrNotFound}
	}
	if err != nil {
		return Request{}, fmt.Errorf("could not read request %s from NATS, so nothing was done: %w", id, err)
	}
	return r, nil
}

// decide moves r, a pending request as last read, to state to on behalf of
// user, or says why it cannot; it reads r again whenever someone changed it
// first.
func (s *Service) decide(ctx context.Context, r Request, user string, to State) (Request, error) {
	for {
		if r.State != Pending {
			return r, &InputError{Msg: alreadyDecided(r)}
		}
		decided, err := s.tryDecide(ctx, r, user, to)
		if !errors.Is(err, ErrConflict) {
			return decided, err
		}
		// Someone else decided first; read what they did.
		if r, err = s.get(ctx, r.ID); err != nil {
			return r, err
		}
	}
}

// tryDecide makes one attempt at decide's write, or at the expiry that
// comes first once the request's time is up; ErrConflict if someone
// changed r since it was read.
func (s *Service) tryDecide(ctx context.Context, r Request, user string, to State) (Request, error) {
	now := s.now()
	if !now.Before(r.ExpiresAt) {
		expired, err := s.transition(ctx, r, Expired, "", nil)
		if err == nil {
			return expired, &InputError{Msg: alreadyDecided(expired)}
		}
		return expired, err
	}
	decided := r
	decided.DecidedBy, decided.DecidedAt = user, now
	decided, err := s.transition(ctx, decided, to, user, nil)
	if err == nil || errors.Is(err, ErrConflict) {
		return decided, err
	}
	if to == Executing {
		s.doubt(decided)
	}
	return r, fmt.Errorf("could not record the decision on %s in NATS, so nothing was done: %w", r.ID, err)
}

// finish records r.Outcome, the outcome of an executing request. The
// outcome of a call that returned is always stored, even over the sweep's
// report that the call was abandoned (a provider slower than the
// abandonment limit).
func (s *Service) finish(ctx context.Context, r Request) Request {
	out := *r.Outcome
	to := Succeeded
	if out.Error != nil {
		to = Failed
		if out.Error.Uncertain {
			to = Uncertain
		}
	}
	for attempt := 1; ; attempt++ {
		done, err := s.transition(ctx, r, to, r.DecidedBy, &out)
		if err == nil {
			return done
		}
		if errors.Is(err, ErrConflict) && attempt < 3 {
			cur, gerr := s.store.Get(ctx, r.ID)
			if gerr == nil {
				if cur.State != Executing {
					s.log.Warn("the call returned after its request was reported abandoned; storing its real outcome", "request", r.ID, "was", string(cur.State))
				}
				// Firings of its alert counted meanwhile are kept.
				r.Revision, r.Alert = cur.Revision, cur.Alert
				continue
			}
			err = gerr
		}
		// The provider has acted; the person must hear how, even if the
		// store failed to keep it.
		s.log.Error("could not store the outcome of an executed request", "request", r.ID, "outcome", out.Summary, "err", err)
		r.State, r.Outcome = to, &out
		return r
	}
}
