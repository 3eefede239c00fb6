package alerts

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/streamops/streamops/internal/ops"
)

// Service is the product's rules as alerts use them (an *ops.Service): a
// rendered command goes through Handle exactly as a typed one does.
type Service interface {
	Handle(ctx context.Context, in ops.Input) (ops.Reply, error)
	// Lookup's error wraps ops.ErrNotFound when the request is gone.
	Lookup(ctx context.Context, id string) (ops.Request, error)
	AddFirings(ctx context.Context, id string, n int, at time.Time) (ops.Request, error)
	Resolve(ctx context.Context, id string) (ops.Request, error)
	// TargetOf is what a command would act on, resolved from an alias or
	// an ID alike, without asking anything of a provider.
	TargetOf(text string) (ops.Target, error)
}

// Board shows what alerts propose, in the rule's channel.
type Board interface {
	// ShowCard puts a new request's card in r.Origin.Channel.
	ShowCard(ctx context.Context, r ops.Request)
	// RefreshCard shows the card again, with its count of firings.
	RefreshCard(ctx context.Context, r ops.Request)
	// Say says in a channel why an alert proposed nothing.
	Say(ctx context.Context, channel, text string)
}

// Ledger remembers, across every replica, what each rule last did for a
// target: the request it has open, or that it is making one.
type Ledger interface {
	// Get returns key's entry and its revision; revision 0 if there is none.
	Get(ctx context.Context, key string) (Entry, uint64, error)
	// Put writes key's entry if it is still at rev (0: absent), or returns
	// ErrChanged.
	Put(ctx context.Context, key string, e Entry, rev uint64) (uint64, error)
}

// ErrChanged is a Ledger write lost to another replica.
var ErrChanged = errors.New("changed by another replica")

// Entry is what a rule did for one target.
type Entry struct {
	Request string    `json:"request,omitempty"` // the request made; empty while it is being made
	Refused string    `json:"refused,omitempty"` // why nothing could be proposed
	At      time.Time `json:"at"`
	// Firing are the fingerprints of the alerts that count toward the
	// request; it is cancelled when the last of them resolves, as
	// Alertmanager resolves a group. Many: more than maxFiring did, so
	// only a person or the expiry ends it.
	Firing []string `json:"firing,omitempty"`
	Many   bool     `json:"many,omitempty"`
}

// maxFiring bounds the alerts an entry keeps (a fingerprint is 16
// characters: 1,000 make a ledger value of about 20 kB).
const maxFiring = 1000

// hold adds fingerprint fp to the alerts holding the request; false if it
// was there already (or there are too many to keep).
func (e *Entry) hold(fp string) bool {
	switch {
	case e.Many || slices.Contains(e.Firing, fp):
		return false
	case len(e.Firing) >= maxFiring:
		e.Many = true
	default:
		e.Firing = append(e.Firing, fp)
	}
	return true
}

// Settings tune the engine.
type Settings struct {
	// UpdateEvery is the least time between two updates of one card's
	// count of firings, so a storm keeps within Slack's rate limits.
	UpdateEvery time.Duration
	// Quiet is how long a rule that could not propose stays quiet about
	// the same alert, so a storm makes one report, not thousands.
	Quiet time.Duration
	// Metrics counts what becomes of alerts; nil counts nothing.
	Metrics Metrics
}

// Metrics counts what becomes of alerts, by one of the outcomes below.
type Metrics interface {
	Alert(outcome string)
}

// What becomes of an alert, as Metrics counts it.
const (
	Received     = "received"     // an alert a rule matched, firing or resolved
	Proposed     = "proposed"     // it made a request
	Deduplicated = "deduplicated" // it counted on a request already open
	Suppressed   = "suppressed"   // it came within its rule's cooldown for the target
	Refused      = "refused"      // its command was refused: reported in the channel
	Cancelled    = "cancelled"    // its resolution cancelled a pending request
	DeadLettered = "dead_lettered"
)

type noMetrics struct{}

func (noMetrics) Alert(string) {}

// Engine matches alerts against the rules and keeps each rule and target
// on one open request.
type Engine struct {
	rules  []*Compiled
	svc    Service
	board  Board
	ledger Ledger
	log    *slog.Logger
	now    func() time.Time
	set    Settings

	mu     sync.Mutex
	open   map[string]*tracked // ledger key -> this replica's view of it
	recent map[[sha256.Size]byte]message
	// unmade are the ledger keys this replica claimed but could not make a
	// request for (NATS went away): the claim may still stand, and only
	// this replica knows nobody is making it.
	unmade map[string]bool
	// partial are the deliveries that failed part-way, with the alerts of
	// each already taken, so that a redelivery takes only the rest.
	partial map[string]map[int]bool
}

// tracked is one open request and the firings this replica has seen for it
// since it last added them to the stored count.
type tracked struct {
	id        string // empty while another replica makes the request
	unflushed int
	last      time.Time
	since     time.Time       // when this replica started counting for an unknown id
	held      map[string]bool // fingerprints known to be in the entry's Firing
}

// Option sets what NewEngine leaves to a default.
type Option func(*Engine)

// WithLogger logs to l instead of nowhere.
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.log = l } }

// WithClock reads the time from now instead of the system clock.
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.now = now } }

// NewEngine builds an engine over compiled rules (from Compile).
func NewEngine(rules []*Compiled, svc Service, board Board, ledger Ledger, set Settings, opts ...Option) *Engine {
	if set.UpdateEvery <= 0 {
		set.UpdateEvery = 2 * time.Second
	}
	if set.Quiet <= 0 {
		set.Quiet = 10 * time.Minute
	}
	if set.Metrics == nil {
		set.Metrics = noMetrics{}
	}
	e := &Engine{
		rules: rules, svc: svc, board: board, ledger: ledger, set: set, now: time.Now,
		log: slog.New(slog.DiscardHandler), open: map[string]*tracked{}, unmade: map[string]bool{},
		recent: map[[sha256.Size]byte]message{}, partial: map[string]map[int]bool{},
	}
	for _, o := range opts {
		o(e)
	}
	e.log = e.log.With("component", "alerts")
	return e
}

// Handle takes one message; delivery names it in the stream (its sequence),
// so that a redelivery after a partial failure takes only the alerts the
// first one did not ("" for a message that is never delivered again). A
// *DecodeError means it is not an alert and never will be; another error
// means trying it again later may work.
func (e *Engine) Handle(ctx context.Context, delivery string, data []byte) error {
	sum := sha256.Sum256(data)
	e.mu.Lock()
	m, ok := e.recent[sum]
	e.mu.Unlock()
	if !ok {
		list, err := Decode(data)
		if err != nil {
			return err
		}
		m = e.judge(list)
		e.mu.Lock()
		if len(e.recent) >= maxRecent {
			clear(e.recent)
		}
		e.recent[sum] = m
		e.mu.Unlock()
	}
	e.mu.Lock()
	done := e.partial[delivery]
	delete(e.partial, delivery)
	e.mu.Unlock()
	var errs []error
	for i, v := range m.verdicts {
		if done[i] {
			continue
		}
		if err := e.take(ctx, v); err != nil {
			errs = append(errs, err)
			continue
		}
		if done == nil {
			done = map[int]bool{}
		}
		done[i] = true
	}
	if len(errs) > 0 && delivery != "" {
		e.mu.Lock()
		if len(e.partial) >= maxRecent {
			clear(e.partial)
		}
		e.partial[delivery] = done
		e.mu.Unlock()
	}
	return errors.Join(errs...)
}

// maxRecent bounds the messages whose verdicts are remembered.
const maxRecent = 4096

// message is what a message's bytes alone decide: which rules its alerts
// match and the command each renders. A storm repeats the same bytes, so
// this is worked out once per distinct message.
type message struct {
	verdicts []verdict
}

type verdict struct {
	rule  *Compiled
	alert Alert
	cmd   string
	key   string // the ledger's: the rule and the target
	err   error  // the command could not be rendered
}

func (e *Engine) judge(list []Alert) message {
	var m message
	for _, a := range list {
		for _, r := range e.rules {
			if r.matches(a) {
				cmd, err := r.render(a)
				m.verdicts = append(m.verdicts, verdict{rule: r, alert: a, cmd: cmd, key: e.keyOf(r, cmd), err: err})
			}
		}
	}
	return m
}

// keyOf is the ledger key of rule r's command: the rule and the target it
// acts on, by account, kind and ID, however the alert named it; the command
// itself for one without a target (or one ops refuses: it is reported,
// once). A target of the default account keys as it did before targets had
// accounts, so that entries stored then still match.
func (e *Engine) keyOf(r *Compiled, cmd string) string {
	if t, err := e.svc.TargetOf(cmd); err == nil && t.ID != "" {
		return r.Name + " " + t.Key().String()
	}
	return r.Name + " " + cmd
}

func (e *Engine) take(ctx context.Context, v verdict) error {
	r, a, key := v.rule, v.alert, v.key
	e.set.Metrics.Alert(Received)
	if v.err != nil {
		if !a.Firing() {
			return nil
		}
		// Keyed by the alert, since without a command there is no target.
		return e.refuse(ctx, r, a, r.Name+" alert "+a.Fingerprint, v.err.Error())
	}
	if !a.Firing() {
		return e.resolve(ctx, key, a.Fingerprint)
	}
	e.mu.Lock()
	t := e.open[key]
	held := t != nil && t.held[a.Fingerprint]
	e.mu.Unlock()
	if t == nil {
		return e.propose(ctx, r, a, key, v.cmd)
	}
	if !held {
		if err := e.hold(ctx, key, a.Fingerprint); err != nil {
			return err
		}
	}
	e.count(key, "", e.now())
	return nil
}

// hold adds alert fp to those holding key's request in the ledger.
func (e *Engine) hold(ctx context.Context, key, fp string) error {
	for range 5 {
		entry, rev, err := e.ledger.Get(ctx, key)
		if err != nil {
			return err
		}
		if rev != 0 && entry.hold(fp) {
			_, err = e.ledger.Put(ctx, key, entry, rev)
		}
		if errors.Is(err, ErrChanged) {
			continue
		}
		if err != nil {
			return err
		}
		e.mu.Lock()
		if t := e.open[key]; t != nil {
			t.held[fp] = true
		}
		e.mu.Unlock()
		return nil
	}
	return fmt.Errorf("the ledger of open alert requests kept changing; will try again")
}

// claimTimeout is how long a replica may take to make a request before the
// others take it to have stopped and make it themselves.
const claimTimeout = time.Minute

// propose makes the request for a firing alert that this replica has no
// open request for, unless the ledger says another replica has one.
func (e *Engine) propose(ctx context.Context, r *Compiled, a Alert, key, cmd string) error {
	// Most keys are new: claim first, and read only if that fails.
	rev, err := e.ledger.Put(ctx, key, Entry{At: e.now(), Firing: []string{a.Fingerprint}}, 0)
	if err == nil {
		return e.ask(ctx, r, a, key, cmd, rev)
	}
	if !errors.Is(err, ErrChanged) {
		return err
	}
	for range 3 {
		now := e.now()
		entry, rev, err := e.ledger.Get(ctx, key)
		if err != nil {
			return err
		}
		e.mu.Lock()
		mine := e.unmade[key] && entry.Request == "" && entry.Refused == ""
		e.mu.Unlock()
		if rev != 0 && !mine { // this replica's own unmade claim is made here now
			open, ended, err := e.stillOpen(ctx, entry, now)
			switch {
			case err != nil:
				return err
			case open:
				e.count(key, entry.Request, now)
				return e.hold(ctx, key, a.Fingerprint)
			case entry.Refused != "":
				if now.Sub(entry.At) < e.set.Quiet {
					return nil // reported lately: a storm makes one report
				}
			case entry.Request == "":
				// Left half-made by a replica that stopped: make it here.
			case now.Sub(ended) < r.Cooldown:
				e.set.Metrics.Alert(Suppressed)
				e.log.Info("alert within its rule's cooldown for the target: nothing proposed", "rule", r.Name, "alert", a.Labels["alertname"],
					"fingerprint", a.Fingerprint, "request", entry.Request, "cooldown_left", r.Cooldown-now.Sub(ended))
				return nil
			}
		}
		rev, err = e.ledger.Put(ctx, key, Entry{At: now, Firing: []string{a.Fingerprint}}, rev)
		if errors.Is(err, ErrChanged) {
			continue // another replica got there first: look again
		}
		if err != nil {
			return err
		}
		return e.ask(ctx, r, a, key, cmd, rev)
	}
	return fmt.Errorf("rule %s: the ledger of open alert requests kept changing; will try again", r.Name)
}

// stillOpen reports whether the ledger's entry is a request still open (or
// one being made), and when an ended one ended, for the cooldown.
func (e *Engine) stillOpen(ctx context.Context, entry Entry, now time.Time) (bool, time.Time, error) {
	if entry.Refused != "" {
		return false, entry.At, nil
	}
	if entry.Request == "" {
		return now.Sub(entry.At) < claimTimeout, entry.At, nil
	}
	req, err := e.svc.Lookup(ctx, entry.Request)
	if errors.Is(err, ops.ErrNotFound) {
		return false, time.Time{}, nil // gone from the store: long finished
	}
	if err != nil {
		return false, time.Time{}, err
	}
	if !req.State.Final() && now.Before(req.ExpiresAt) {
		return true, time.Time{}, nil
	}
	ended := req.DecidedAt
	if ended.IsZero() || req.State == ops.Expired {
		ended = req.ExpiresAt
	}
	return false, ended, nil
}

// count notes one firing for a request another replica (or an earlier
// moment of this one) made.
func (e *Engine) count(key, id string, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.open[key]
	if t == nil {
		t = &tracked{id: id, since: now, held: map[string]bool{}}
		e.open[key] = t
	}
	t.unflushed++
	t.last = now
	e.set.Metrics.Alert(Deduplicated)
}

// ask proposes the rule's command through ops, as a typed one would be.
func (e *Engine) ask(ctx context.Context, r *Compiled, a Alert, key, cmd string, rev uint64) error {
	now := e.now()
	reply, err := e.svc.Handle(ctx, ops.Input{
		Text: cmd, User: "alert",
		Origin: ops.Origin{Frontend: ops.FrontendAlert, Channel: r.channelID},
		Alert: &ops.Alert{
			Rule: r.Name, Name: a.Labels["alertname"], Severity: a.Labels["severity"],
			Summary: a.Annotations["summary"], Matched: r.matched(a),
			Source: a.GeneratorURL, Runbook: a.Annotations["runbook_url"], Silence: a.SilenceURL(),
			Fingerprint: a.Fingerprint, StartsAt: a.StartsAt, Fired: 1, LastFired: now,
		},
	})
	var why string
	switch {
	case err != nil:
		var bad *ops.InputError
		if !errors.As(err, &bad) {
			// NATS trouble: let the message come again rather than say
			// the rule is wrong; the entry reads as left half-made.
			e.mu.Lock()
			e.unmade[key] = true
			e.mu.Unlock()
			e.ledger.Put(ctx, key, Entry{At: now.Add(-claimTimeout)}, rev)
			return err
		}
		why = fmt.Sprintf("`%s` was refused: %s", cmd, err)
	case reply.Request == nil:
		why = fmt.Sprintf("`%s` changes nothing, so there is nothing to confirm: %s", cmd, reply.Text)
	}
	e.mu.Lock()
	delete(e.unmade, key) // decided here, one way or the other
	e.mu.Unlock()
	if why != "" {
		if _, err := e.ledger.Put(ctx, key, Entry{Refused: why, At: now}, rev); err != nil {
			e.log.Warn("could not note a refused alert command; it may be reported again", "rule", r.Name, "err", err)
		}
		e.report(ctx, r, a, why)
		return nil
	}
	req := *reply.Request
	if err := e.made(ctx, key, req.ID, a.Fingerprint, now, rev); err != nil {
		// The request stands; only another replica might make a second one.
		e.log.Warn("could not note an alert's request in the ledger", "rule", r.Name, "request", req.ID, "err", err)
	}
	e.mu.Lock()
	e.open[key] = &tracked{id: req.ID, since: now, held: map[string]bool{a.Fingerprint: true}}
	e.mu.Unlock()
	e.set.Metrics.Alert(Proposed)
	e.log.Info("alert proposed a request", "rule", r.Name, "alert", a.Labels["alertname"], "fingerprint", a.Fingerprint, "request", req.ID)
	e.board.ShowCard(ctx, req)
	return nil
}

// made notes request id in key's entry, keeping the alerts other replicas
// added to it while it was being made.
func (e *Engine) made(ctx context.Context, key, id, fp string, now time.Time, rev uint64) error {
	entry := Entry{Request: id, At: now, Firing: []string{fp}}
	for range 5 {
		_, err := e.ledger.Put(ctx, key, entry, rev)
		if !errors.Is(err, ErrChanged) {
			return err
		}
		cur, curRev, err := e.ledger.Get(ctx, key)
		if err != nil {
			return err
		}
		cur.hold(fp)
		entry, rev = Entry{Request: id, At: now, Firing: cur.Firing, Many: cur.Many}, curRev
	}
	return ErrChanged
}

// refuse reports, once per quiet period, that an alert proposed nothing.
func (e *Engine) refuse(ctx context.Context, r *Compiled, a Alert, key, why string) error {
	now := e.now()
	entry, rev, err := e.ledger.Get(ctx, key)
	if err != nil {
		return err
	}
	if rev != 0 && now.Sub(entry.At) < e.set.Quiet {
		return nil
	}
	if _, err := e.ledger.Put(ctx, key, Entry{Refused: why, At: now}, rev); errors.Is(err, ErrChanged) {
		return nil // another replica is reporting it
	} else if err != nil {
		return err
	}
	e.report(ctx, r, a, why)
	return nil
}

func (e *Engine) report(ctx context.Context, r *Compiled, a Alert, why string) {
	e.set.Metrics.Alert(Refused)
	e.log.Warn("alert proposed nothing", "rule", r.Name, "alert", a.Labels["alertname"], "fingerprint", a.Fingerprint, "reason", why)
	text := fmt.Sprintf("Alert %s (rule %s, labels %s) proposed nothing: %s", a.Labels["alertname"], r.Name, labelText(a.Labels), why)
	if a.GeneratorURL != "" {
		text += " Source: " + a.GeneratorURL
	}
	e.board.Say(ctx, r.channelID, ops.PlainText(text))
}

// resolve takes alert fp off those holding key's request, and cancels the
// request if it was the last and the request is still pending.
func (e *Engine) resolve(ctx context.Context, key, fp string) error {
	e.mu.Lock()
	var flush tracked
	if t := e.open[key]; t != nil && t.id != "" {
		flush = *t
		t.unflushed = 0
	}
	e.mu.Unlock()
	if flush.unflushed > 0 {
		e.addFirings(ctx, flush.id, flush.unflushed, flush.last)
	}
	for range 5 {
		entry, rev, err := e.ledger.Get(ctx, key)
		if err != nil {
			return err
		}
		if entry.Request == "" {
			if entry.Refused == "" && rev != 0 && e.now().Sub(entry.At) < claimTimeout {
				// Another replica is making the request: come back to it.
				return errors.New("the alert resolved while its request was being made; trying again")
			}
			return nil
		}
		rest := slices.DeleteFunc(slices.Clone(entry.Firing), func(f string) bool { return f == fp })
		if entry.Many || len(rest) > 0 {
			if len(rest) == len(entry.Firing) {
				return nil // not one of those holding it
			}
			entry.Firing = rest
			if _, err := e.ledger.Put(ctx, key, entry, rev); errors.Is(err, ErrChanged) {
				continue
			} else if err != nil {
				return err
			}
			e.mu.Lock()
			if t := e.open[key]; t != nil {
				delete(t.held, fp)
			}
			e.mu.Unlock()
			e.log.Info("alert resolved; other alerts still hold its request", "request", entry.Request, "fingerprint", fp, "still_firing", len(rest), "many", entry.Many)
			return nil
		}
		e.mu.Lock()
		delete(e.open, key)
		e.mu.Unlock()
		r, err := e.svc.Resolve(ctx, entry.Request)
		if errors.Is(err, ops.ErrNotPending) {
			return nil
		}
		if err != nil {
			return err
		}
		e.set.Metrics.Alert(Cancelled)
		e.log.Info("alert resolved; its request is cancelled", "request", r.ID, "rule", r.Alert.Rule)
		return nil
	}
	return fmt.Errorf("the ledger of open alert requests kept changing; will try again")
}

// Run adds the firings counted here to the stored requests and refreshes
// their cards, at most once per UpdateEvery each, until ctx ends; then once
// more.
func (e *Engine) Run(ctx context.Context) error {
	t := time.NewTicker(e.set.UpdateEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			e.Flush(final)
			return nil
		case <-t.C:
			e.Flush(ctx)
		}
	}
}

// forgetAfter is how long a replica remembers a request whose alert has
// stopped firing.
const forgetAfter = time.Hour

// Flush adds the firings counted since the last flush to their requests.
func (e *Engine) Flush(ctx context.Context) {
	type batch struct {
		key, id string
		n       int
		last    time.Time
	}
	var todo []batch
	now := e.now()
	e.mu.Lock()
	for key, t := range e.open {
		if t.unflushed == 0 {
			// Quiet for long: its request has expired by now; the ledger
			// knows it if the alert fires again.
			if now.Sub(t.since) > forgetAfter && now.Sub(t.last) > forgetAfter {
				delete(e.open, key)
			}
			continue
		}
		todo = append(todo, batch{key, t.id, t.unflushed, t.last})
		t.unflushed = 0
	}
	e.mu.Unlock()
	for _, b := range todo {
		id := b.id
		if id == "" {
			entry, _, err := e.ledger.Get(ctx, b.key)
			if err == nil && entry.Request == "" && entry.Refused == "" && now.Sub(entry.At) < claimTimeout {
				e.requeue(b.key, b.n, b.last) // still being made elsewhere
				continue
			}
			id = entry.Request
		}
		if id == "" {
			e.forget(b.key, "")
			continue
		}
		e.mu.Lock()
		if t := e.open[b.key]; t != nil && t.id == "" {
			t.id = id
		}
		e.mu.Unlock()
		if !e.addFirings(ctx, id, b.n, b.last) {
			e.forget(b.key, id)
		}
	}
}

// addFirings stores n more firings and refreshes the card; false once the
// request is no longer pending.
func (e *Engine) addFirings(ctx context.Context, id string, n int, last time.Time) bool {
	r, err := e.svc.AddFirings(ctx, id, n, last)
	if errors.Is(err, ops.ErrNotPending) {
		return false
	}
	if err != nil {
		e.log.Warn("could not count firings of an alert on its request", "request", id, "firings", n, "err", err)
		return true
	}
	e.board.RefreshCard(ctx, r)
	return true
}

func (e *Engine) requeue(key string, n int, last time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t := e.open[key]; t != nil {
		t.unflushed += n
		if last.After(t.last) {
			t.last = last
		}
	}
}

// forget drops what this replica knows of key's request once it has ended;
// the next firing asks the ledger.
func (e *Engine) forget(key, id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t := e.open[key]; t != nil && (t.id == id || t.id == "") {
		delete(e.open, key)
	}
}

func labelText(l map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(l)) {
		parts = append(parts, k+"="+l[k])
	}
	return strings.Join(parts, " ")
}
