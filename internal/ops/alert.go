package ops

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Alert is the alert that caused a request, as its card shows it.
type Alert struct {
	Rule        string            `json:"rule"`
	Name        string            `json:"name"` // the alertname label
	Severity    string            `json:"severity,omitempty"`
	Summary     string            `json:"summary,omitempty"`
	Matched     map[string]string `json:"matched,omitempty"` // the labels the rule matched on
	Source      string            `json:"source,omitempty"`  // generatorURL
	Runbook     string            `json:"runbook,omitempty"` // the runbook_url annotation
	Silence     string            `json:"silence,omitempty"` // Alertmanager's page silencing it, from the webhook's externalURL
	Fingerprint string            `json:"fingerprint,omitempty"`
	StartsAt    time.Time         `json:"starts_at,omitzero"`
	// Fired counts the firings seen while the request was open, the first
	// one included; LastFired is when the latest arrived.
	Fired     int       `json:"fired"`
	LastFired time.Time `json:"last_fired,omitzero"`
	// Resolved is set when the alert resolved while the request was pending,
	// which cancelled it.
	Resolved bool `json:"resolved,omitempty"`
}

// plain is the alert with its text from outside (labels, annotations, a
// URL) made plain text, once, before any front end shows it.
func (a *Alert) plain() *Alert {
	if a == nil {
		return nil
	}
	c := *a
	c.Rule, c.Name, c.Severity = PlainText(a.Rule), PlainText(a.Name), PlainText(a.Severity)
	c.Summary, c.Fingerprint = PlainText(a.Summary), PlainText(a.Fingerprint)
	c.Source, c.Runbook, c.Silence = cleanLink(a.Source), cleanLink(a.Runbook), cleanLink(a.Silence)
	if a.Matched != nil {
		c.Matched = make(map[string]string, len(a.Matched))
		for k, v := range a.Matched {
			c.Matched[PlainText(k)] = PlainText(v)
		}
	}
	return &c
}

// alertResolver is what a request cancelled by its alert's resolution
// names as who decided it.
const alertResolver = "alert"

// Lookup returns request id as stored now; an error wrapping ErrNotFound
// when no request has that ID (any more).
func (s *Service) Lookup(ctx context.Context, id string) (Request, error) {
	return s.get(ctx, id)
}

// ErrNotPending is returned for a change that only a pending request takes.
var ErrNotPending = errors.New("the request is no longer pending")

// AddFirings counts n more firings of the alert of a request that is
// pending or executing, the latest at `at`. Replicas add their counts to
// the stored one, so the card shows them all. It returns the request as
// stored, and ErrNotPending once it has ended or expired.
func (s *Service) AddFirings(ctx context.Context, id string, n int, at time.Time) (Request, error) {
	for {
		r, err := s.pendingAlert(ctx, id)
		if errors.Is(err, ErrNotPending) && r.State == Executing && r.Alert != nil {
			err = nil // the call is under way: its alert still fires
		}
		if err != nil {
			return r, err
		}
		r.Alert.Fired += n
		if at.After(r.Alert.LastFired) {
			r.Alert.LastFired = at
		}
		rev, err := s.store.Update(ctx, r)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return r, fmt.Errorf("could not count a firing of the alert of %s in NATS: %w", id, err)
		}
		r.Revision = rev
		return r, nil
	}
}

// pendingAlert reads request id for a change that only a pending request an
// alert made takes.
func (s *Service) pendingAlert(ctx context.Context, id string) (Request, error) {
	r, err := s.get(ctx, id)
	if err != nil {
		return r, err
	}
	if r.State != Pending || !s.now().Before(r.ExpiresAt) {
		return r, ErrNotPending
	}
	if r.Alert == nil {
		return r, fmt.Errorf("request %s was not made by an alert", id)
	}
	return r, nil
}

// Resolve cancels a pending request because its alert resolved, and tells
// its front end. A request already decided is returned as it is, with
// ErrNotPending: a resolution never stops a call that was confirmed.
func (s *Service) Resolve(ctx context.Context, id string) (Request, error) {
	for {
		r, err := s.pendingAlert(ctx, id)
		if err != nil {
			return r, err
		}
		r.Alert.Resolved = true
		r.DecidedBy, r.DecidedAt = alertResolver, s.now()
		r, err = s.transition(ctx, r, Cancelled, alertResolver, nil)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return r, fmt.Errorf("could not record in NATS that the alert of %s resolved; it stays pending: %w", id, err)
		}
		s.notify(ctx, Notice{Request: r, Text: "The alert resolved before anyone confirmed: the request is cancelled and nothing was done."})
		return r, nil
	}
}

// alertFields are the card's lines about the automation behind a request:
// the alert that proposed it, or the reason a request message gave.
func alertFields(r Request) []Field {
	var f []Field
	add := func(label, value string) {
		if value != "" {
			f = append(f, Field{Label: label, Value: value})
		}
	}
	add("Reason", r.Reason)
	a := r.Alert
	if a == nil {
		return f
	}
	add("Alert", strings.TrimSpace(a.Name+" (rule "+a.Rule+")"))
	add("Severity", a.Severity)
	add("Summary", a.Summary)
	var matched []string
	for _, k := range slices.Sorted(maps.Keys(a.Matched)) {
		matched = append(matched, k+"="+a.Matched[k])
	}
	add("Matched", strings.Join(matched, " "))
	for _, l := range alertLinks(a) {
		if _, ok := safeLink(l.URL); !ok {
			add(l.Label, l.URL) // not a link a person should click: text
		}
	}
	if !a.StartsAt.IsZero() {
		add("Started", a.StartsAt.UTC().Format(time.DateTime+" MST"))
	}
	fired := "once"
	if a.Fired > 1 {
		fired = fmt.Sprintf("%d times, last at %s", a.Fired, a.LastFired.UTC().Format(time.TimeOnly+" MST"))
	}
	add("Fired", fired)
	return f
}

// alertLinks are the alert's addresses with the card's words for them.
func alertLinks(a *Alert) []Link {
	return []Link{{"Runbook", a.Runbook}, {"Source", a.Source}, {"Silence", a.Silence}}
}

// linksOf are the card's buttons: the alert's addresses that are safe to
// click; the others are among its fields as text.
func linksOf(r Request) []Link {
	if r.Alert == nil {
		return nil
	}
	var links []Link
	for _, l := range alertLinks(r.Alert) {
		if u, ok := safeLink(l.URL); ok {
			links = append(links, Link{Label: l.Label, URL: u})
		}
	}
	return links
}

// resolvedStatus is the card's status line for a request its alert's
// resolution cancelled; empty for any other.
func resolvedStatus(r Request) string {
	if r.State == Cancelled && r.Alert != nil && r.Alert.Resolved {
		return "The alert resolved before anyone confirmed: cancelled, nothing was done."
	}
	return ""
}

// TargetOf is the target text's command acts on, resolved as Handle
// resolves it (an alias or an ID alike), without asking a provider; an
// empty Target for a command that takes none. A target group is one
// target whose ID is its name with GroupPrefix ("@orders"): what keys an
// alert's request on it stays one, whatever members the group has.
func (s *Service) TargetOf(text string) (Target, error) {
	cmd, err := ParseCommand(text)
	if err != nil {
		return Target{}, err
	}
	op, rest, err := s.catalogue.lookup(cmd.Words)
	if err != nil || op.Kind == "" || len(rest) == 0 {
		return Target{}, err
	}
	if name, ok := strings.CutPrefix(rest[0], GroupPrefix); ok {
		if _, err := s.dir.Group(name); err != nil {
			return Target{}, err
		}
		return Target{Kind: op.Kind, ID: rest[0]}, nil
	}
	return s.dir.Resolve(op.Kind, rest[0])
}
