package ops

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Card is what every front end shows for a request, in the product's words;
// the front end only lays it out.
type Card struct {
	Title  string
	Fields []Field
	// Links are addresses to open (an alert's runbook, source, silence),
	// each checked to be a safe http(s) link.
	Links  []Link
	Status string
}

// CardOf describes r as it stands now.
func CardOf(r Request) Card {
	c := Card{Title: fmt.Sprintf("%s %s", r.Op, r.Subject())}
	add := func(label, value string) {
		if value != "" {
			c.Fields = append(c.Fields, Field{Label: label, Value: value})
		}
	}
	add("Request", r.ID)
	add("Operation", r.Op)
	if len(r.MoreTargets) == 0 {
		add("Target", r.Target.Name())
		add("Provider", providerOf(r.Target))
		add("Call", r.Call)
	} else {
		add("Targets", r.TargetName())
		add("Provider", providersOf(r.Targets()))
		add("Calls", r.Call) // a line per target
	}
	add("Parameters", parameters(r))
	c.Fields = append(c.Fields, r.Details...)
	c.Fields = append(c.Fields, alertFields(r)...)
	add("Requested by", r.Requester)
	add("Expires", r.ExpiresAt.UTC().Format(time.DateTime+" MST"))
	c.Links = linksOf(r)

	switch r.State {
	case Pending:
		c.Status = fmt.Sprintf("Waiting for confirmation: `confirm %s` or `cancel %s`.", r.ID, r.ID)
	case Executing:
		c.Status = fmt.Sprintf("Confirmed by %s; calling %s…", r.DecidedBy, r.Target.Provider)
	case Succeeded, Failed, Uncertain:
		c.Status = fmt.Sprintf("Confirmed by %s. %s", r.DecidedBy, r.Outcome.Summary)
	case Cancelled:
		c.Status = fmt.Sprintf("Cancelled by %s: nothing was done.", r.DecidedBy)
	case Expired:
		c.Status = "Expired without confirmation: nothing was done."
	}
	if s := resolvedStatus(r); s != "" {
		c.Status = s
	}
	return c
}

// providerOf is who t is reached through, and where: "EnOS, org o-1".
func providerOf(t Target) string {
	return strings.TrimSuffix(t.Provider+", "+t.Scope, ", ")
}

// providersOf is providerOf each of ts, each named once.
func providersOf(ts []Target) string {
	var seen []string
	for _, t := range ts {
		if p := providerOf(t); !slices.Contains(seen, p) {
			seen = append(seen, p)
		}
	}
	return strings.Join(seen, "; ")
}

// parameters lists the arguments and flags, secrets masked.
func parameters(r Request) string {
	keys := make([]string, 0, len(r.Args))
	for k := range r.Args {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		v := r.Args[k]
		if secretKey(k) {
			v = "******"
		}
		parts = append(parts, fmt.Sprintf("%s=%s", k, v))
	}
	return strings.Join(append(parts, r.Flags...), " ")
}

func secretKey(k string) bool {
	k = strings.ToLower(k)
	return strings.Contains(k, "password") || strings.Contains(k, "secret") || strings.Contains(k, "token")
}
