package ops

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Claim says that a request is acting on a target. Only one claim per
// target exists at a time, across replicas: it is what keeps two different
// requests (two switchovers of one job) from both being sent.
type Claim struct {
	Request string    `json:"request"`
	At      time.Time `json:"at"`
	// Until is when the claim lapses if nobody releases it: its holder's bot
	// stopped. It covers the longest call and the status check after it.
	Until time.Time `json:"until"`
}

// Claims stores target claims, shared by every replica.
type Claims interface {
	// CreateClaim stores c under key; ErrExists if the key is held.
	CreateClaim(ctx context.Context, key string, c Claim) (revision uint64, err error)
	// GetClaim returns the claim under key, or ErrNotFound.
	GetClaim(ctx context.Context, key string) (Claim, uint64, error)
	// ReplaceClaim writes c if the claim is still at revision; else ErrConflict.
	ReplaceClaim(ctx context.Context, key string, c Claim, revision uint64) (uint64, error)
	// DeleteClaim removes the claim if it is still at revision.
	DeleteClaim(ctx context.Context, key string, revision uint64) error
	// WatchClaim signals on the channel each later change to the claim
	// under key (a write or a release) until ctx ends; changes nobody has
	// read yet may come as one signal.
	WatchClaim(ctx context.Context, key string) (<-chan struct{}, error)
}

// claimGrace is how long a claim may name a request that is still pending:
// the moment between taking the claim and recording the confirmation. A
// claim older than that on a pending request was left by a bot that stopped.
const claimGrace = 30 * time.Second

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// claimKey names a target in the claims store: its kind and ID, the ID in
// hex where it has characters a key may not hold.
func claimKey(t Target) string {
	id := t.ID
	if id == "" {
		id = t.Alias // a job yet to be created is known by its name
	}
	if !plainKey.MatchString(id) {
		id = "x" + hex.EncodeToString([]byte(id))
	}
	return t.Kind + "." + id
}

// holdTarget takes the claim on r's target for r, waiting while another
// request holds it: it looks again when the claim changes (a watch) or
// when it lapses, which takes no write. It returns the function that
// releases the claim. If r stops being pending while it waits, it returns r
// as it now is and the explanation.
func (s *Service) holdTarget(ctx context.Context, r Request) (release func(), now Request, err error) {
	key := claimKey(r.Target)
	wait := time.NewTimer(s.set.TargetWait)
	defer wait.Stop()
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	var changed <-chan struct{} // watched only once the target is found busy
	for {
		at := s.now()
		c := Claim{Request: r.ID, At: at, Until: at.Add(s.set.AbandonAfter + s.set.CheckTimeout)}
		rev, err := s.claims.CreateClaim(ctx, key, c)
		if err == nil {
			return func() { s.releaseTarget(key, r.ID, rev) }, r, nil
		}
		if !errors.Is(err, ErrExists) {
			return nil, r, fmt.Errorf("could not reserve %s %s for this request, so nothing was done: %w", r.Target.Kind, r.Target.Name(), err)
		}
		if changed == nil {
			if changed, err = s.claims.WatchClaim(watchCtx, key); err != nil {
				return nil, r, fmt.Errorf("could not wait for %s %s to be free, so nothing was done: %w", r.Target.Kind, r.Target.Name(), err)
			}
			continue // it may have been released before the watch began
		}
		holder, hrev, err := s.claims.GetClaim(ctx, key)
		if errors.Is(err, ErrNotFound) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, r, fmt.Errorf("could not read who holds %s %s, so nothing was done: %w", r.Target.Kind, r.Target.Name(), err)
		}
		held, heldErr := s.store.Get(ctx, holder.Request)
		if s.lapsed(holder, held, heldErr) {
			if rev, err := s.claims.ReplaceClaim(ctx, key, c, hrev); err == nil {
				s.log.Warn("took over a lapsed target claim", "target", key, "request", r.ID, "held_by", holder.Request)
				return func() { s.releaseTarget(key, r.ID, rev) }, r, nil
			}
			continue
		}
		// While it waits, someone may confirm, cancel or expire r itself.
		if cur, decided := s.decidedMeanwhile(ctx, r.ID); decided {
			return nil, cur, &InputError{Msg: alreadyDecided(cur)}
		}
		lapse := time.NewTimer(lapsesAt(holder, held, heldErr).Sub(s.now()))
		select {
		case <-changed:
		case <-lapse.C:
		case <-ctx.Done():
			lapse.Stop()
			return nil, r, ctx.Err()
		case <-wait.C:
			lapse.Stop()
			if cur, decided := s.decidedMeanwhile(ctx, r.ID); decided {
				return nil, cur, &InputError{Msg: alreadyDecided(cur)}
			}
			who := held.DecidedBy
			if who == "" {
				who = "someone"
			}
			return nil, r, &InputError{Msg: fmt.Sprintf("%s %s is busy with %s (%s, confirmed by %s), still running or being checked: nothing was done for %s, which is still pending. Confirm it again once %s has finished; a switchover is read again then.",
				r.Target.Kind, r.Target.Name(), holder.Request, held.Op, who, r.ID, holder.Request)}
		}
		lapse.Stop()
	}
}

// decidedMeanwhile reads request id and reports whether it is no longer pending.
func (s *Service) decidedMeanwhile(ctx context.Context, id string) (Request, bool) {
	cur, err := s.store.Get(ctx, id)
	return cur, err == nil && cur.State != Pending
}

// lapsesAt is when claim c stops protecting anything unless it changes
// first (see lapsed): at its Until, or sooner while it names a request
// still pending.
func lapsesAt(c Claim, held Request, readErr error) time.Time {
	if grace := c.At.Add(claimGrace); readErr == nil && held.State == Pending && grace.Before(c.Until) {
		return grace
	}
	return c.Until
}

// lapsed reports whether a claim no longer protects anything: its request is
// gone, its time is up, or it names a request still pending long after the
// claim was taken (the bot stopped between the two writes).
func (s *Service) lapsed(c Claim, held Request, readErr error) bool {
	now := s.now()
	switch {
	case errors.Is(readErr, ErrNotFound):
		return true
	case readErr != nil:
		return false
	case !now.Before(c.Until):
		return true
	}
	return held.State == Pending && now.Sub(c.At) >= claimGrace
}

func (s *Service) releaseTarget(key, id string, rev uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.claims.DeleteClaim(ctx, key, rev); err != nil {
		s.log.Warn("could not release a target; it frees itself when its claim lapses", "target", key, "request", id, "err", err)
	}
}
