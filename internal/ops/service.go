package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Settings are the service's tunables, from the config.
type Settings struct {
	Expiry        time.Duration // how long a request waits for confirmation
	SweepInterval time.Duration // how often expired requests are looked for
	CheckInterval time.Duration // how often the status is read after a call
	CheckTimeout  time.Duration // how long to wait for the expected status
	// AbandonAfter is how long a request may be executing before it is
	// taken to have lost its bot (a crash mid-call) and reported as such.
	AbandonAfter time.Duration
	Targets      Targets
}

// Deps are what the service works through. Store and Publisher are
// required; a nil provider leaves its operations out of the catalogue.
type Deps struct {
	Store     Store
	Events    Publisher
	Notifier  Notifier
	Metrics   Metrics
	Log       *slog.Logger
	Now       func() time.Time
	Pipelines Pipelines
	EventGrid *EventGridSetup
}

// Service holds the product's rules: which operations exist, how a request is
// made, confirmed, cancelled or expired, and what is recorded of each step.
// It knows no transport; front ends turn its values into messages.
type Service struct {
	set       Settings
	store     Store
	events    Publisher
	notifier  Notifier
	metrics   Metrics
	log       *slog.Logger
	now       func() time.Time
	catalogue catalogue
	// background counts status checks still running, so shutdown can wait.
	background sync.WaitGroup
	// stopping is closed when Run ends: status checks give up then.
	stopping chan struct{}
	stopOnce sync.Once
}

// New builds the service.
func New(set Settings, d Deps) (*Service, error) {
	if d.Store == nil || d.Events == nil {
		return nil, errors.New("ops: a store and an event publisher are required")
	}
	s := &Service{
		set: set, store: d.Store, events: d.Events, notifier: d.Notifier,
		metrics: d.Metrics, log: d.Log, now: d.Now, stopping: make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.set.Expiry <= 0 {
		s.set.Expiry = 10 * time.Minute
	}
	if s.set.SweepInterval <= 0 {
		s.set.SweepInterval = time.Second
	}
	if s.set.CheckInterval <= 0 {
		s.set.CheckInterval = 2 * time.Second
	}
	if s.set.CheckTimeout <= 0 {
		s.set.CheckTimeout = 2 * time.Minute
	}
	if s.set.AbandonAfter <= 0 {
		s.set.AbandonAfter = 5 * time.Minute
	}
	s.catalogue.add(s.builtins()...)
	if d.Pipelines != nil {
		s.catalogue.add(pipelineOperations(d.Pipelines)...)
	}
	if d.EventGrid != nil {
		s.catalogue.add(eventGridOperations(*d.EventGrid)...)
	}
	return s, nil
}

// Input is one line from a person or from automation.
type Input struct {
	Text   string
	User   string // who typed it: a Slack user ID, the console user, "alert"
	Origin Origin
}

// Reply is the answer to an input: a request to show as a card, or text.
type Reply struct {
	Request *Request
	Text    string
}

// Handle parses and decides one input. Bad input returns an *InputError to
// show to the person; nothing else happens then.
func (s *Service) Handle(ctx context.Context, in Input) (Reply, error) {
	cmd, err := ParseCommand(in.Text)
	if err != nil {
		return Reply{}, err
	}
	switch cmd.Words[0] {
	case "confirm", "cancel":
		if len(cmd.Words) != 2 || len(cmd.Args) > 0 {
			return Reply{}, inputErrorf("usage: %s <request ID>, like %s r-7f3a9c", cmd.Words[0], cmd.Words[0])
		}
		var r Request
		if cmd.Words[0] == "confirm" {
			r, err = s.Confirm(ctx, cmd.Words[1], in.User)
		} else {
			r, err = s.Cancel(ctx, cmd.Words[1], in.User)
		}
		if err != nil {
			return Reply{}, err
		}
		return Reply{Request: &r}, nil
	}
	op, rest, err := s.catalogue.lookup(cmd.Words)
	if err != nil {
		return Reply{}, err
	}
	r, err := s.parseRequest(op, rest, cmd.Args, in)
	if err != nil {
		return Reply{}, err
	}
	if !op.changes() {
		text, err := op.read(ctx, r)
		if err != nil {
			return Reply{}, describeReadError(op, r, err)
		}
		return Reply{Text: text}, nil
	}
	if op.prepare != nil {
		if err := op.prepare(ctx, &r); err != nil {
			return Reply{}, err
		}
	}
	r, err = s.propose(ctx, r)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Request: &r}, nil
}

// parseRequest checks the words after the operation's name against what it
// takes, and resolves the target.
func (s *Service) parseRequest(op *operation, rest []string, args map[string]string, in Input) (Request, error) {
	r := Request{
		Op: op.name, Text: strings.TrimSpace(in.Text), Requester: in.User, Origin: in.Origin, Args: args,
	}
	if op.named {
		if len(rest) == 0 {
			return Request{}, inputErrorf("what should it be called? usage: %s", op.usageLine())
		}
		r.Target = Target{Kind: strings.Fields(op.name)[0], Alias: rest[0]}
		rest = rest[1:]
	}
	if op.kind != "" {
		if len(rest) == 0 {
			return Request{}, inputErrorf("which %s? usage: %s", op.kind, op.usageLine())
		}
		t, err := s.set.Targets.resolve(op.kind, rest[0])
		if err != nil {
			return Request{}, err
		}
		r.Target = t
		rest = rest[1:]
	}
	for _, w := range rest {
		if !slices.Contains(op.flags, w) {
			return Request{}, inputErrorf("unexpected %q. usage: %s", w, op.usageLine())
		}
		r.Flags = append(r.Flags, w)
	}
	for k := range args {
		if !slices.Contains(op.keys, k) {
			return Request{}, inputErrorf("%s does not take %s=. usage: %s", op.name, k, op.usageLine())
		}
	}
	return r, nil
}

func (s *Service) propose(ctx context.Context, r Request) (Request, error) {
	now := s.now()
	r.State = Pending
	r.CreatedAt = now
	r.ExpiresAt = now.Add(s.set.Expiry)
	for range 3 { // a clash of random IDs is rare; try a few before giving up
		id, err := newRequestID()
		if err != nil {
			return Request{}, err
		}
		r.ID = id
		rev, err := s.store.Create(ctx, r)
		if errors.Is(err, ErrExists) {
			continue
		}
		if err != nil {
			return Request{}, fmt.Errorf("could not store the request, so nothing will be done: %w", err)
		}
		r.Revision = rev
		s.record(ctx, r, "", r.Requester, "")
		return r, nil
	}
	return Request{}, errors.New("could not find a free request ID; try again")
}

// Confirm executes a pending request on behalf of user. However many times
// and on however many replicas it is called for one request, the provider is
// called at most once: the move to executing is a compare-and-swap.
func (s *Service) Confirm(ctx context.Context, id, user string) (Request, error) {
	r, err := s.claim(ctx, id, user, Executing)
	if err != nil {
		return r, err
	}
	op, ok := s.catalogue.byName[r.Op]
	if !ok || !op.changes() {
		msg := fmt.Sprintf("this bot cannot carry out %q: its provider is not configured here", r.Op)
		return s.finish(ctx, r, Outcome{Summary: msg, Error: &Failure{Message: msg}}), nil
	}
	// The call must finish even if whoever confirmed goes away: a half-known
	// outcome is worse than a late one.
	callCtx := context.WithoutCancel(ctx)
	start := s.now()
	out, err := op.execute(callCtx, r)
	if s.metrics != nil {
		s.metrics.ProviderCall(r.Target.Provider, r.Op, s.now().Sub(start), err)
	}
	if err != nil {
		out = Outcome{Error: failureOf(err)}
		out.Summary = fmt.Sprintf("Could not %s: %s", op.verb(r), out.Error.Text())
	} else {
		if r.Target.ID == "" {
			r.Target.ID = out.JobID // a created job has its ID now
		}
		out.Summary = op.done(r, out)
	}
	r = s.finish(callCtx, r, out)
	if r.State == Succeeded && op.check != nil {
		s.background.Add(1)
		go func() {
			defer s.background.Done()
			s.checkStatus(callCtx, r, op.check)
		}()
	}
	return r, nil
}

// Cancel ends a pending request without calling anything.
func (s *Service) Cancel(ctx context.Context, id, user string) (Request, error) {
	return s.claim(ctx, id, user, Cancelled)
}

// claim moves a pending request to state to on behalf of user, or says why
// it cannot.
func (s *Service) claim(ctx context.Context, id, user string, to State) (Request, error) {
	if !ValidRequestID(id) {
		return Request{}, inputErrorf("%q is not a request ID: they look like r-7f3a9c", id)
	}
	for {
		r, err := s.store.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return Request{}, inputErrorf("there is no request %s: it may have been finished more than a week ago, or mistyped. `pending` lists the open ones", id)
		}
		if err != nil {
			return Request{}, fmt.Errorf("could not read request %s, so nothing was done: %w", id, err)
		}
		if r.State != Pending {
			return r, &InputError{Msg: alreadyDecided(r)}
		}
		now := s.now()
		if !now.Before(r.ExpiresAt) {
			if r, err = s.transition(ctx, r, Expired, "", nil); errors.Is(err, ErrConflict) {
				continue
			}
			if err == nil {
				return r, &InputError{Msg: alreadyDecided(r)}
			}
			return r, err
		}
		from := r
		r.DecidedBy, r.DecidedAt = user, now
		r, err = s.transition(ctx, r, to, user, nil)
		if errors.Is(err, ErrConflict) {
			continue // someone else decided first; read what they did
		}
		if err != nil {
			return from, fmt.Errorf("could not record the decision on %s, so nothing was done: %w", id, err)
		}
		return r, nil
	}
}

// finish records the outcome of an executing request.
func (s *Service) finish(ctx context.Context, r Request, out Outcome) Request {
	to := Succeeded
	if out.Error != nil {
		to = Failed
	}
	done, err := s.transition(ctx, r, to, r.DecidedBy, &out)
	if err != nil {
		// The provider has acted; the person must hear how, even if the
		// store failed to keep it.
		s.log.Error("could not store the outcome of an executed request", "request", r.ID, "outcome", out.Summary, "err", err)
		r.State, r.Outcome = to, &out
		return r
	}
	return done
}

// transition writes r in state to, if nobody changed it since it was read,
// and records the audit event.
func (s *Service) transition(ctx context.Context, r Request, to State, actor string, out *Outcome) (Request, error) {
	from := r.State
	r.State = to
	if out != nil {
		r.Outcome = out
	}
	rev, err := s.store.Update(ctx, r)
	if err != nil {
		return r, err
	}
	r.Revision = rev
	s.record(ctx, r, from, actor, "")
	return r, nil
}

// record is the audit trail: a log line and an event for every transition.
func (s *Service) record(ctx context.Context, r Request, from State, actor, note string) {
	e := Event{
		Time: s.now(), RequestID: r.ID, Op: r.Op, Target: r.Target, From: from, State: r.State,
		Actor: actor, Requester: r.Requester, Origin: r.Origin, Outcome: r.Outcome, Note: note,
	}
	attrs := []any{"request", r.ID, "op", r.Op, "target", r.Target.ID, "from", string(from), "state", string(r.State), "actor", actor, "requester", r.Requester}
	if r.Outcome != nil {
		attrs = append(attrs, "outcome", r.Outcome.Summary, "provider_request_id", r.Outcome.RequestID)
	}
	if note != "" {
		attrs = append(attrs, "note", note)
	}
	s.log.Info("audit", attrs...)
	if err := s.events.Publish(ctx, e); err != nil {
		s.log.Error("could not publish audit event", "request", r.ID, "state", string(r.State), "err", err)
	}
	if s.metrics != nil && note == "" {
		s.metrics.Transition(r.Op, r.State)
	}
}

// Run expires requests that waited too long, until ctx ends; then status
// checks still running give up. Every replica may run it: the
// compare-and-swap lets one of them end each request.
func (s *Service) Run(ctx context.Context) error {
	defer s.stopOnce.Do(func() { close(s.stopping) })
	t := time.NewTicker(s.set.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			s.sweep(ctx)
		}
	}
}

// sweep ends the requests nobody will finish: pending ones past their
// expiry, and executing ones whose bot stopped mid-call.
func (s *Service) sweep(ctx context.Context) {
	all, err := s.store.List(ctx)
	if err != nil {
		s.log.Warn("could not list requests to expire them; will try again", "err", err)
		return
	}
	now := s.now()
	for _, r := range all {
		var (
			to   State
			out  *Outcome
			text string
		)
		switch {
		case r.State == Pending && !now.Before(r.ExpiresAt):
			to, text = Expired, "Expired unconfirmed: nothing was done."
		case r.State == Executing && now.Sub(r.DecidedAt) >= s.set.AbandonAfter:
			f := &Failure{Uncertain: true, Message: fmt.Sprintf(
				"the bot carrying this out stopped before it heard back from %s, so it may or may not have acted. Check the target's status before asking again", r.Target.Provider)}
			to, out = Failed, &Outcome{Error: f, Summary: "Outcome unknown: " + f.Message + "."}
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

// Wait blocks until status checks still running have ended, or ctx ends.
func (s *Service) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.background.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// checkStatus reads the target after a successful call until it shows the
// expected status or the check times out: a 200 only says the provider
// accepted the call.
func (s *Service) checkStatus(ctx context.Context, r Request, c *statusCheck) {
	start := s.now()
	deadline := start.Add(s.set.CheckTimeout)
	t := time.NewTicker(s.set.CheckInterval)
	defer t.Stop()
	var status string
	var lastErr error
	for {
		status, lastErr = c.status(ctx, r)
		if lastErr == nil && c.reached(r, status) {
			s.statusChecked(r, CheckReached)
			s.followUp(ctx, r, fmt.Sprintf("%s %s %s %s%s after %s.", r.Target.Kind, r.Target.Name(), c.verb(), status, c.note, roundDuration(s.now().Sub(start))))
			return
		}
		if !s.now().Before(deadline) {
			break
		}
		select {
		case <-t.C:
		case <-s.stopping:
			s.statusChecked(r, CheckStopped)
			s.followUp(ctx, r, fmt.Sprintf("Stopped watching %s %s as the bot is shutting down; it was %s, not yet %s. Check it with `%s show`.",
				r.Target.Kind, r.Target.Name(), orUnknown(status), c.want, r.Target.Kind))
			return
		}
	}
	s.statusChecked(r, CheckTimedOut)
	text := fmt.Sprintf("%s %s still %s %s after %s, not %s: check it in the provider's console.", r.Target.Kind, r.Target.Name(), c.verb(), status, roundDuration(s.now().Sub(start)), c.want)
	if lastErr != nil {
		text = fmt.Sprintf("Could not read the status of %s %s after %s: %v. Check it in the provider's console.", r.Target.Kind, r.Target.Name(), roundDuration(s.now().Sub(start)), lastErr)
	}
	s.followUp(ctx, r, text)
}

func (s *Service) followUp(ctx context.Context, r Request, text string) {
	s.record(ctx, r, "", "", text)
	s.notify(ctx, Notice{Request: r, Text: text})
}

func (s *Service) notify(ctx context.Context, n Notice) {
	if s.notifier != nil {
		s.notifier.Notify(ctx, n)
	}
}

// Pending lists the requests still waiting for a decision, oldest first.
func (s *Service) Pending(ctx context.Context) ([]Request, error) {
	all, err := s.store.List(ctx)
	if err != nil {
		return nil, err
	}
	var open []Request
	for _, r := range all {
		if r.State == Pending || r.State == Executing {
			open = append(open, r)
		}
	}
	slices.SortFunc(open, func(a, b Request) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return open, nil
}

func alreadyDecided(r Request) string {
	switch r.State {
	case Executing:
		return fmt.Sprintf("%s is already being carried out (confirmed by %s): nothing was done again.", r.ID, r.DecidedBy)
	case Succeeded, Failed:
		return fmt.Sprintf("%s was already confirmed by %s and has %s: nothing was done again.", r.ID, r.DecidedBy, r.State)
	case Cancelled:
		return fmt.Sprintf("%s was cancelled by %s: nothing was done.", r.ID, r.DecidedBy)
	case Expired:
		return fmt.Sprintf("%s expired at %s without confirmation: nothing was done. Ask again if it is still needed.", r.ID, r.ExpiresAt.UTC().Format("15:04:05 MST"))
	}
	return fmt.Sprintf("%s is %s.", r.ID, r.State)
}

func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}
