package ops

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
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

// claimKey names a target in the claims store: its kind and ID, after its
// account unless that is the default one, each part in hex where it has
// characters a key may not hold. The default account's keys are the ones
// claims had before targets had accounts, so that during a rolling upgrade
// a claim held by a bot of the earlier version still keeps this one off the
// target; and they cannot clash with another account's, which have one
// part more.
func claimKey(t Target) string {
	k := t.Key()
	key := k.Kind + "." + keyPart(k.ID)
	if k.Account != DefaultAccount {
		key = keyPart(k.Account) + "." + key
	}
	return key
}

func keyPart(s string) string {
	if plainKey.MatchString(s) {
		return s
	}
	return "x" + hex.EncodeToString([]byte(s))
}

// holdTargets takes the claim on every target of r for r, or on none: each
// waits while another request holds it, all within one target_wait. It
// returns the function that releases them. If r stops being pending while
// it waits, it returns r as it now is and the explanation; if a target
// stays busy, the refusal names it.
func (s *Service) holdTargets(ctx context.Context, r Request) (release func(), now Request, err error) {
	// Taken in one order everywhere, so that two requests sharing targets
	// never each hold one the other waits for.
	targets := slices.SortedFunc(slices.Values(r.Targets()), func(a, b Target) int { return strings.Compare(claimKey(a), claimKey(b)) })
	giveUp := time.NewTimer(s.set.TargetWait)
	defer giveUp.Stop()
	var releases []func()
	releaseAll := func() {
		for _, rel := range releases {
			rel()
		}
	}
	for i, t := range targets {
		rel, cur, err := s.holdTarget(ctx, r, t, giveUp.C)
		var busy *busyError
		if errors.As(err, &busy) {
			// The person is told of every target that is busy, not only the
			// first: the ones not yet reached are looked at, not waited for.
			busy.others = s.busyOf(ctx, r, targets[i+1:])
			err = &InputError{Msg: busy.text()}
		}
		if err != nil {
			releaseAll()
			return nil, cur, err
		}
		releases = append(releases, rel)
	}
	return releaseAll, r, nil
}

// busy is a target held by another request, as read while waiting for it.
type busy struct {
	target Target
	holder holder
}

// busyError is the refusal of a request, r, whose target stayed busy for
// all of target_wait; others are its other targets found busy then.
type busyError struct {
	r      Request
	first  busy
	others []busy
}

func (e *busyError) Error() string { return e.text() }

// text names each busy target and the request holding it.
func (e *busyError) text() string {
	if len(e.others) == 0 {
		t, h := e.first.target, e.first.holder
		return fmt.Sprintf("%s %s is busy with %s (%s, confirmed by %s), still running or being checked: nothing was done for %s, which is still pending. Confirm it again once %s has finished; a switchover is read again then.",
			t.Kind, t.Name(), h.claim.Request, h.held.Op, cmp.Or(h.held.DecidedBy, "someone"), e.r.ID, h.claim.Request)
	}
	all := append([]busy{e.first}, e.others...)
	lines := make([]string, len(all))
	for i, b := range all {
		lines[i] = fmt.Sprintf("%s %s is busy with %s (%s, confirmed by %s)", b.target.Kind, b.target.Name(), b.holder.claim.Request, b.holder.held.Op, cmp.Or(b.holder.held.DecidedBy, "someone"))
	}
	return fmt.Sprintf("%d targets of %s are busy with other requests, still running or being checked: %s. Nothing was done for %s, which is still pending: confirm it again once those have finished.",
		len(all), e.r.ID, strings.Join(lines, "; "), e.r.ID)
}

// busyOf are the targets among ts that another request holds now, read
// once each, without waiting.
func (s *Service) busyOf(ctx context.Context, r Request, ts []Target) []busy {
	var found []busy
	for _, t := range ts {
		c, _, err := s.claims.GetClaim(ctx, claimKey(t))
		if err != nil || c.Request == r.ID {
			continue
		}
		h := holder{claim: c}
		h.held, h.readErr = s.store.Get(ctx, c.Request)
		if !s.lapsed(h.claim, h.held, h.readErr) {
			found = append(found, busy{target: t, holder: h})
		}
	}
	return found
}

// holder is who holds a claim, as read while waiting for it.
type holder struct {
	claim   Claim
	held    Request
	readErr error
}

// holdTarget takes the claim on t for r, waiting while another request
// holds it: it looks again when the claim changes (a watch) or when it
// lapses, which takes no write, until giveUp.
func (s *Service) holdTarget(ctx context.Context, r Request, t Target, giveUp <-chan time.Time) (release func(), now Request, err error) {
	key := claimKey(t)
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	var changed <-chan struct{} // watched only once the target is found busy
	for {
		release, h, err := s.tryClaim(ctx, r, t, key, changed != nil)
		switch {
		case err != nil || release != nil:
			return release, r, err
		case changed == nil:
			if changed, err = s.claims.WatchClaim(watchCtx, key); err != nil {
				return nil, r, fmt.Errorf("could not wait for %s %s to be free, so nothing was done: %w", t.Kind, t.Name(), err)
			}
			continue // it may have been released before the watch began
		case h == nil:
			continue // released or taken over meanwhile
		}
		// While it waits, someone may confirm, cancel or expire r itself.
		if cur, decided := s.decidedMeanwhile(ctx, r.ID); decided {
			return nil, cur, &InputError{Msg: alreadyDecided(cur)}
		}
		if cur, err := s.awaitClaim(ctx, r, t, *h, changed, giveUp); err != nil {
			return nil, cur, err
		}
	}
}

// tryClaim makes one attempt at the claim under key: it creates it, or,
// once the claim is watched (readHolder), takes it over if it has lapsed.
// It returns the claim's release if it got it, and who holds it if not;
// neither when the claim changed meanwhile.
func (s *Service) tryClaim(ctx context.Context, r Request, t Target, key string, readHolder bool) (func(), *holder, error) {
	at := s.now()
	c := Claim{Request: r.ID, At: at, Until: at.Add(s.claimSpan(r))}
	rev, err := s.claims.CreateClaim(ctx, key, c)
	if err == nil {
		return func() { s.releaseTarget(key, r.ID, rev) }, nil, nil
	}
	if !errors.Is(err, ErrExists) {
		return nil, nil, fmt.Errorf("could not reserve %s %s for this request, so nothing was done: %w", t.Kind, t.Name(), err)
	}
	if !readHolder {
		return nil, nil, nil
	}
	held, hrev, err := s.claims.GetClaim(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("could not read who holds %s %s, so nothing was done: %w", t.Kind, t.Name(), err)
	}
	h := holder{claim: held}
	h.held, h.readErr = s.store.Get(ctx, held.Request)
	if !s.lapsed(h.claim, h.held, h.readErr) {
		return nil, &h, nil
	}
	if rev, err := s.claims.ReplaceClaim(ctx, key, c, hrev); err == nil {
		s.log.Warn("took over a lapsed target claim", "target", key, "request", r.ID, "held_by", held.Request)
		return func() { s.releaseTarget(key, r.ID, rev) }, nil, nil
	}
	return nil, nil, nil
}

// awaitClaim waits for the claim h holds on t to change or lapse. At
// giveUp it returns the refusal that says who holds t, with r as it now is.
func (s *Service) awaitClaim(ctx context.Context, r Request, t Target, h holder, changed <-chan struct{}, giveUp <-chan time.Time) (Request, error) {
	lapse := time.NewTimer(s.lapsesAt(h.claim, h.held, h.readErr).Sub(s.now()))
	defer lapse.Stop()
	select {
	case <-changed:
	case <-lapse.C:
	case <-ctx.Done():
		return r, ctx.Err()
	case <-giveUp:
		if cur, decided := s.decidedMeanwhile(ctx, r.ID); decided {
			return cur, &InputError{Msg: alreadyDecided(cur)}
		}
		return r, &busyError{r: r, first: busy{target: t, holder: h}}
	}
	return r, nil
}

// claimSpan is how long a claim of r's lasts unless released: its calls
// and the status check after them; for several targets, also the wait for
// the others' claims after it is taken, and a round of calls for each
// maxCalls targets.
func (s *Service) claimSpan(r Request) time.Duration {
	span := s.abandonAfter(r) + s.set.CheckTimeout
	if len(r.MoreTargets) > 0 {
		span += s.set.TargetWait
	}
	return span
}

// abandonAfter is how long r may be executing before it is taken to have
// lost its bot: abandon_after for each round of its calls.
func (s *Service) abandonAfter(r Request) time.Duration {
	return s.set.AbandonAfter * time.Duration(rounds(len(r.Targets())))
}

// decidedMeanwhile reads request id and reports whether it is no longer pending.
func (s *Service) decidedMeanwhile(ctx context.Context, id string) (Request, bool) {
	cur, err := s.store.Get(ctx, id)
	return cur, err == nil && cur.State != Pending
}

// lapsesAt is when claim c stops protecting anything unless it changes
// first (see lapsed): at its Until, or sooner while it names a request
// still pending.
func (s *Service) lapsesAt(c Claim, held Request, readErr error) time.Time {
	if grace := c.At.Add(s.grace(held)); readErr == nil && held.State == Pending && grace.Before(c.Until) {
		return grace
	}
	return c.Until
}

// grace is how long a claim may name held while it is still pending: the
// moment between taking the claim and recording the confirmation, and for
// a request on several targets the wait for its other claims before that.
func (s *Service) grace(held Request) time.Duration {
	if len(held.MoreTargets) > 0 {
		return claimGrace + s.set.TargetWait
	}
	return claimGrace
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
	return held.State == Pending && now.Sub(c.At) >= s.grace(held)
}

func (s *Service) releaseTarget(key, id string, rev uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.claims.DeleteClaim(ctx, key, rev); err != nil {
		s.log.Warn("could not release a target; it frees itself when its claim lapses", "target", key, "request", id, "err", err)
	}
}
