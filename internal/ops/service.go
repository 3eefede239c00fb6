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

	"github.com/streamops/streamops/internal/tasks"
)

// Settings are the service's tunables, from the config, which gives every
// duration its default: New takes them as they are and refuses one unset.
type Settings struct {
	Expiry        time.Duration // how long a request waits for confirmation
	SweepInterval time.Duration // how often expired requests are looked for
	CheckInterval time.Duration // how often the status is read after a call
	CheckTimeout  time.Duration // how long to wait for the expected status
	// AbandonAfter is how long a request may be executing before it is
	// taken to have lost its bot (a crash mid-call) and reported as such.
	AbandonAfter time.Duration
	// TargetWait is how long a confirmation waits for another request on
	// the same target to end before it is refused.
	TargetWait time.Duration
	Targets    Targets
	// Groups are named lists of targets, each member "kind:word"
	// ("pipeline:orders-etl"); see Directory.
	Groups map[string][]string
	// Accounts are, by kind, its provider's account names, the default
	// first; a kind with none has DefaultAccount only.
	Accounts map[string][]string
}

// Deps are what the service works through. Store, Claims and Events are
// required; a provider left out leaves its operations out of the catalogue.
type Deps struct {
	Store  Store
	Claims Claims
	Events Publisher
	// FrontEnds makes the front ends that show notices, given the service
	// they call. A front end needs the service (a click confirms) and the
	// service needs it (to tell what became of a request), so New makes
	// them here, once, instead of having them added afterwards. Nil: notices
	// go nowhere.
	FrontEnds func(*Service) []Notifier
	Metrics   Metrics
	Log       *slog.Logger
	Now       func() time.Time
	// Providers are the configured providers' operations.
	Providers []Provider
	// Policy says who may request and confirm what; nil allows everyone.
	Policy *Policy
	// Trail reads the audit trail back, for `history`; nil leaves it out.
	Trail Trail
}

// Service holds the product's rules: which operations exist, how a request is
// made, confirmed, cancelled or expired, and what is recorded of each step.
// It knows no transport; front ends turn its values into messages.
type Service struct {
	set       Settings
	store     Store
	claims    Claims
	events    Publisher
	notifier  Notifier
	metrics   Metrics
	log       *slog.Logger
	now       func() time.Time
	catalogue catalogue
	dir       Directory
	policy    *Policy
	trail     Trail
	// listed holds what the providers' list calls returned, briefly, for
	// the targets a front end offers as a person types.
	listed listCache
	// background counts calls and status checks still running, so shutdown
	// can wait; inflight holds the requests whose call has not returned.
	background tasks.Group
	inflight   sync.Map // request ID -> Request
	// doubts are requests whose last write may or may not have been stored
	// (NATS went away mid-write); the sweep settles them.
	doubts sync.Map // request ID -> doubt
	// stopping is closed when Run ends: status checks give up then.
	stopping chan struct{}
	stopOnce sync.Once
}

// New builds the service.
func New(set Settings, d Deps) (*Service, error) {
	if d.Store == nil || d.Claims == nil || d.Events == nil {
		return nil, errors.New("ops: a store, a claims store and an event publisher are required")
	}
	if err := set.validate(); err != nil {
		return nil, err
	}
	if err := d.Policy.Validate(); err != nil {
		return nil, err
	}
	dir := Directory{Aliases: set.Targets, Groups: set.Groups, Accounts: set.Accounts}
	if err := dir.Validate(); err != nil {
		return nil, err
	}
	s := &Service{
		set: set, store: d.Store, claims: d.Claims, events: d.Events,
		metrics: d.Metrics, log: d.Log, now: d.Now, stopping: make(chan struct{}),
		policy: d.Policy, trail: d.Trail,
		dir: dir,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.catalogue.add(s.builtins()...)
	if d.Trail != nil {
		s.catalogue.add(s.history(), s.timeline())
	}
	for _, p := range d.Providers {
		s.catalogue.addSpecs(p.Operations())
	}
	if d.FrontEnds != nil {
		s.notifier = frontEnds(d.FrontEnds(s))
	}
	return s, nil
}

// validate refuses a duration left unset: it would expire every request at
// once, or check and sweep without pause.
func (set Settings) validate() error {
	var unset []string
	for _, d := range []struct {
		name string
		d    time.Duration
	}{
		{"Expiry", set.Expiry}, {"SweepInterval", set.SweepInterval}, {"CheckInterval", set.CheckInterval},
		{"CheckTimeout", set.CheckTimeout}, {"AbandonAfter", set.AbandonAfter}, {"TargetWait", set.TargetWait},
	} {
		if d.d <= 0 {
			unset = append(unset, d.name)
		}
	}
	if len(unset) > 0 {
		return fmt.Errorf("ops: settings %s must be positive durations (the config gives each its default)", strings.Join(unset, ", "))
	}
	return nil
}

// Input is one line from a person or from automation.
type Input struct {
	Text   string
	User   string // who typed it: a Slack user ID, the console user, "alert"
	Origin Origin
	Alert  *Alert // the alert behind an input a rule made
	Reason string // why automation asked, shown on the card
}

// Reply is the answer to an input: a request to show as a card, or text.
type Reply struct {
	Request *Request
	Text    string
	// Timeline, with its Text, is for everyone where it was asked (the
	// channel), not only the person who asked.
	Timeline *Timeline
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
	op, r, err := s.allowed(ctx, cmd, in)
	if err != nil {
		return Reply{}, err
	}
	if op.timeline != nil {
		t, err := op.timeline(ctx, r)
		if err != nil {
			return Reply{}, err
		}
		return Reply{Text: t.Text(), Timeline: &t}, nil
	}
	if !op.Changes() {
		text, err := s.read(ctx, op, r)
		if err != nil {
			return Reply{}, err
		}
		return Reply{Text: text}, nil
	}
	asked := r.action()
	if len(r.MoreTargets) > 0 {
		err = prepareEach(ctx, op, &r)
	} else {
		err = prepare(ctx, op, &r)
	}
	if err != nil {
		return Reply{}, err
	}
	if moved(asked.Targets, r.Targets()) {
		// Prepare placed a target (a job is created in its template's
		// account): the policy decides again on where it will act.
		if err := s.mayRequest(ctx, r.action()); err != nil {
			return Reply{}, err
		}
	}
	r.Confirmers = s.confirmers(ctx, r)
	r, err = s.propose(ctx, r)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Request: &r}, nil
}

// moved reports whether preparing changed where a request's targets are.
func moved(asked, prepared []Target) bool {
	return !slices.EqualFunc(asked, prepared, func(a, b Target) bool { return a.Key() == b.Key() })
}

// read answers a read-only request: on several targets (a group), a read
// of each, one failing without hiding the others.
func (s *Service) read(ctx context.Context, op *operation, r Request) (string, error) {
	if len(r.MoreTargets) == 0 {
		text, err := op.Read(ctx, r)
		if err != nil {
			return "", describeReadError(op, r, err)
		}
		return text, nil
	}
	targets := r.Targets()
	lines := make([]string, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			text, err := op.Read(ctx, r.on(t))
			if err != nil {
				text = describeReadError(op, r.on(t), err).Error()
			}
			lines[i] = text
		})
	}
	wg.Wait()
	return strings.Join(lines, "\n"), nil
}

// allowed is the operation cmd names and the request it makes, once the
// policy allows it: decided when the targets are known, before any
// provider is read.
func (s *Service) allowed(ctx context.Context, cmd Command, in Input) (*operation, Request, error) {
	op, rest, err := s.catalogue.lookup(cmd.Words)
	if err != nil {
		return nil, Request{}, err
	}
	r, err := s.parseRequest(op, rest, cmd.Args, in)
	if err != nil {
		return nil, Request{}, err
	}
	if err := s.mayRequest(ctx, r.action()); err != nil {
		return nil, Request{}, err
	}
	return op, r, nil
}

// parseRequest checks the words after the operation's name against what it
// takes, and resolves the targets.
func (s *Service) parseRequest(op *operation, rest []string, args map[string]string, in Input) (Request, error) {
	r := Request{
		Op: op.Name, Text: PlainText(strings.TrimSpace(in.Text)), Requester: in.User, Origin: in.Origin, Args: args,
		Alert: in.Alert.plain(), Reason: PlainText(in.Reason),
	}
	if op.Named {
		if len(rest) == 0 {
			return Request{}, inputErrorf("what should it be called? usage: %s", op.usageLine())
		}
		if strings.HasPrefix(rest[0], GroupPrefix) {
			return Request{}, inputErrorf("%s makes one new %s at a time, so it cannot take a target group (%s): give the new %s's name. usage: %s", op.Name, strings.Fields(op.Name)[0], rest[0], strings.Fields(op.Name)[0], op.usageLine())
		}
		r.Target = Target{Kind: strings.Fields(op.Name)[0], Alias: rest[0]}
		rest = rest[1:]
	}
	if op.Kind != "" {
		if len(rest) == 0 {
			return Request{}, inputErrorf("which %s? usage: %s", op.Kind, op.usageLine())
		}
		if err := s.resolveTargets(op, rest[0], &r); err != nil {
			return Request{}, err
		}
		rest = rest[1:]
	}
	if op.subject && len(rest) == 1 {
		r.Args = map[string]string{"target": rest[0]}
		rest = nil
	}
	for _, w := range rest {
		if !slices.Contains(op.Flags, w) {
			return Request{}, inputErrorf("unexpected %q. usage: %s", w, op.usageLine())
		}
		r.Flags = append(r.Flags, w)
	}
	for k := range args {
		if !slices.Contains(op.keys, k) {
			return Request{}, inputErrorf("%s does not take %s=. usage: %s", op.Name, k, op.usageLine())
		}
	}
	return r, nil
}

// prepare fills in r's target and call as op's Prepare and Call say.
func prepare(ctx context.Context, op *operation, r *Request) error {
	r.Target.Provider = op.Provider
	if op.Prepare != nil {
		if err := op.Prepare(ctx, r); err != nil {
			return err
		}
	}
	if op.Call != nil {
		r.Call = op.Provider + " " + op.Call(*r)
	}
	return nil
}

// prepareEach prepares r, a request on several targets, one target at a
// time, as if each were asked for alone: each has its own scope and call
// line, and its details are labelled with its name.
func prepareEach(ctx context.Context, op *operation, r *Request) error {
	targets := r.Targets()
	calls := make([]string, len(targets))
	for i, t := range targets {
		one := r.on(t)
		one.Details = nil
		if err := prepare(ctx, op, &one); err != nil {
			return fmt.Errorf("%s %s of %s%s: %w", t.Kind, t.Name(), GroupPrefix, r.Group, err)
		}
		targets[i] = one.Target
		calls[i] = t.Name() + ": " + one.Call
		for _, d := range one.Details {
			r.Details = append(r.Details, Field{Label: t.Name() + ": " + d.Label, Value: d.Value})
		}
	}
	r.setTargets(targets)
	if op.Call != nil {
		r.Call = strings.Join(calls, "\n")
	}
	return nil
}

// resolveTargets sets r's target to what word names: one target, or the
// members of a target group of op's kind. Members of other kinds are left
// out, and the card says so.
func (s *Service) resolveTargets(op *operation, word string, r *Request) error {
	name, isGroup := strings.CutPrefix(word, GroupPrefix)
	if !isGroup {
		t, err := s.dir.Resolve(op.Kind, word)
		r.Target = t
		return err
	}
	if !op.TakesGroup() {
		return inputErrorf("%s reads each %s before its card is shown, so it takes one %s at a time, not a target group (%s): ask for each %s on its own. usage: %s", op.Name, op.Kind, op.Kind, word, op.Kind, op.usageLine())
	}
	members, err := s.dir.Group(name)
	if err != nil {
		return err
	}
	var targets []Target
	var left []string
	for _, t := range members {
		if t.Kind == op.Kind {
			targets = append(targets, t)
			continue
		}
		left = append(left, s.leftOut(op, word, t))
	}
	if len(targets) == 0 {
		held := make([]string, len(members))
		for i, t := range members {
			held[i] = t.Kind + " " + t.Name()
		}
		return inputErrorf("target group %s has no %s for %s: it holds %s. Nothing was asked", word, op.Kind, op.Name, strings.Join(held, ", "))
	}
	r.Group = name
	r.setTargets(targets)
	if len(left) > 0 {
		r.Details = append(r.Details, Field{Label: "Not included", Value: strings.Join(left, "; ")})
	}
	return nil
}

// leftOut says why member t of the group named word is not in a request
// for op, and what would act on it.
func (s *Service) leftOut(op *operation, word string, t Target) string {
	what := fmt.Sprintf("%s %s (not a %s)", t.Kind, t.Name(), op.Kind)
	verb := strings.TrimPrefix(op.Name, op.Kind+" ")
	if _, ok := s.catalogue.byName[t.Kind+" "+verb]; ok {
		return fmt.Sprintf("%s: use `%s %s %s` for it", what, t.Kind, verb, word)
	}
	return fmt.Sprintf("%s: there is no `%s %s`", what, t.Kind, verb)
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
			// The write may have reached NATS as it went away: if it did,
			// the sweep withdraws it, so that what is said here stays true.
			s.doubt(r)
			return Request{}, fmt.Errorf("could not store the request in NATS, so it was not made and nothing will be done; try again once NATS is back: %w", err)
		}
		r.Revision = rev
		s.record(ctx, r, "", r.Requester, "")
		return r, nil
	}
	return Request{}, errors.New("could not find a free request ID; try again")
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
		Time: s.now(), RequestID: r.ID, Op: r.Op, Target: r.Target, MoreTargets: r.MoreTargets, Group: r.Group, Call: r.Call, From: from, State: r.State,
		Actor: actor, Requester: r.Requester, Origin: r.Origin, Outcome: r.Outcome, Note: note,
	}
	if note != "" { // the status read after a call: its own event
		e.From, e.State = r.State, Checked
	}
	attrs := []any{"request", r.ID, "op", r.Op, "target", targetIDs(r), "from", string(from), "state", string(r.State), "actor", actor, "requester", r.Requester}
	if r.Outcome != nil {
		attrs = append(attrs, "outcome", r.Outcome.Summary, "provider_request_id", r.Outcome.RequestID)
	}
	if note != "" {
		attrs = append(attrs, "event", string(Checked), "note", note)
	}
	s.log.Info("audit", attrs...)
	if err := s.events.Publish(ctx, e); err != nil {
		s.log.Error("could not publish audit event", "request", r.ID, "state", string(r.State), "err", err)
	}
	if s.metrics != nil && note == "" {
		s.metrics.Transition(r.Op, r.State)
	}
}

// targetIDs are the IDs of r's targets, for the log: "p-1" or "p-1,p-2".
func targetIDs(r Request) string {
	ids := make([]string, 0, 1+len(r.MoreTargets))
	for _, t := range r.Targets() {
		ids = append(ids, t.ID)
	}
	return strings.Join(ids, ",")
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
			s.Sweep(ctx)
		}
	}
}

// Wait blocks until calls and status checks still running have ended, or
// ctx ends.
func (s *Service) Wait(ctx context.Context) error {
	return s.background.Wait(ctx)
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

func alreadyDecided(r Request) string {
	switch r.State {
	case Executing:
		return fmt.Sprintf("%s is already being carried out (confirmed by %s): nothing was done again.", r.ID, r.DecidedBy)
	case Succeeded, Failed:
		return fmt.Sprintf("%s was already confirmed by %s and has %s: nothing was done again.", r.ID, r.DecidedBy, r.State)
	case Uncertain:
		return fmt.Sprintf("%s was already confirmed by %s; its outcome is uncertain (check the target's status): nothing was done again.", r.ID, r.DecidedBy)
	case Cancelled:
		if r.Alert != nil && r.Alert.Resolved {
			return fmt.Sprintf("%s was cancelled when its alert resolved: nothing was done.", r.ID)
		}
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
