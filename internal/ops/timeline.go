package ops

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Timeline is what happened to the requests made or shown in one place (a
// channel, the console, a target) since a time, oldest first: the record
// an incident's post-mortem starts from. It is read from the audit trail,
// so every replica gives the same one, after restarts too.
type Timeline struct {
	Where    string // "this channel", "target orders-etl"
	Since    time.Time
	Requests []TimelineRequest
}

// TimelineRequest is one request's story: what was called and each step.
type TimelineRequest struct {
	ID     string
	Op     string
	Target Target
	Call   string // the call lines its card showed; empty for events stored before it was kept
	Steps  []Step
	// People are who asked and who decided, for front ends that mention them.
	People []string
	// MoreTargets and Group are those of a request on several targets.
	MoreTargets []Target
	Group       string
}

// Step is one thing that happened to a request, in the product's words.
type Step struct {
	Time time.Time
	Text string
}

// Timeline spans: what `timeline` reads when not told, and the most it reads
// (the audit stream may keep more; `bot audit` reads further back).
const (
	DefaultTimelineSpan = 24 * time.Hour
	maxTimelineSpan     = historySpan
)

// ParseSince reads how far back a timeline looks: a duration like 30m or 2h,
// or days like 3d; empty is 24h; at most 7d.
func ParseSince(word string) (time.Duration, error) {
	if word == "" {
		return DefaultTimelineSpan, nil
	}
	d, err := time.ParseDuration(word)
	if days, ok := strings.CutSuffix(word, "d"); ok && err != nil {
		var n int
		n, err = strconv.Atoi(days)
		// Bounded before multiplying, which could overflow into a short span.
		d = time.Duration(min(n, 8)) * 24 * time.Hour
	}
	switch {
	case err != nil || d <= 0:
		return 0, inputErrorf("%q is not a time span: write how far back to look, like 30m, 2h or 3d (default 24h, at most 7d)", word)
	case d > maxTimelineSpan:
		return 0, inputErrorf("%s is further back than a timeline looks: at most 7d; `bot audit --format markdown` reads the whole audit trail", word)
	}
	return d, nil
}

// InChannel keeps the events of the requests whose card was in channel.
func InChannel(channel string) func(Event) bool {
	return func(e Event) bool { return e.Origin.Channel == channel }
}

// OnTarget keeps the events of the requests on the target word names (its
// alias or ID), or on the target group it names (@orders).
func OnTarget(word string) func(Event) bool {
	return func(e Event) bool { return e.names(word) }
}

// ReadTimeline reads the audit trail since `since` and tells the story of
// each request whose events keep keeps, in the order they were asked.
func ReadTimeline(ctx context.Context, trail Trail, since time.Time, where string, keep func(Event) bool) (Timeline, error) {
	events, err := trail.Events(ctx, since)
	if err != nil {
		return Timeline{}, fmt.Errorf("could not read the audit trail from NATS: %w", err)
	}
	t := Timeline{Where: where, Since: since}
	index := map[string]int{}
	for _, e := range events {
		if !keep(e) {
			continue
		}
		i, ok := index[e.RequestID]
		if !ok {
			i = len(t.Requests)
			index[e.RequestID] = i
			t.Requests = append(t.Requests, TimelineRequest{ID: e.RequestID, Op: e.Op, Target: e.Target, MoreTargets: e.MoreTargets, Group: e.Group})
		}
		r := &t.Requests[i]
		if r.Call == "" {
			r.Call = PlainLines(e.Call) // a line per target
		}
		text, who := e.step()
		r.Steps = append(r.Steps, Step{Time: e.Time, Text: text})
		if who != "" && !slices.Contains(r.People, who) {
			r.People = append(r.People, who)
		}
	}
	return t, nil
}

// step is the event in the timeline's words, and the person it names.
func (e Event) step() (string, string) {
	switch e.State {
	case Pending:
		return fmt.Sprintf("asked by %s via %s", e.Requester, e.Origin.Frontend), e.Requester
	case Executing:
		return "confirmed by " + e.Actor, e.Actor
	case Cancelled:
		return "cancelled by " + e.Actor + ": nothing was done", e.Actor
	case Expired:
		return "expired without confirmation: nothing was done", ""
	case Checked:
		return "status read after: " + PlainText(e.Note), ""
	}
	text := string(e.State)
	if o := e.Outcome; o != nil {
		text += ": " + PlainText(o.Summary)
		id := o.RequestID
		if id == "" && o.Error != nil {
			id = o.Error.RequestID
		}
		if id != "" && !strings.Contains(o.Summary, id) {
			text += " (provider request ID " + id + ")"
		}
	}
	return text, ""
}

// timeline posts the requests made or shown where it is asked since a
// time, for the post-mortem; its word is how far back (default 24h).
func (s *Service) timeline() *operation {
	return &operation{
		Spec: Spec{Name: "timeline", Usage: "[since: 30m, 2h, 3d]",
			Summary: "post this channel's requests since then (default 24h, at most 7d): who asked and confirmed, the calls, outcomes, provider request IDs"},
		subject: true,
		timeline: func(ctx context.Context, r Request) (Timeline, error) {
			span, err := ParseSince(r.Args["target"])
			if err != nil {
				return Timeline{}, err
			}
			where := "this channel"
			if r.Origin.Channel == "" {
				where = "the console"
			}
			return ReadTimeline(ctx, s.trail, s.now().Add(-span), where, func(e Event) bool { return r.Origin.lists(e.Origin) })
		},
	}
}

// timeFormat is how a timeline writes times: UTC, to the second.
const timeFormat = "2006-01-02 15:04:05Z"

// Heading is the timeline's first line.
func (t Timeline) Heading() string {
	return fmt.Sprintf("Timeline of %s since %s: %s", t.Where, t.Since.UTC().Format(timeFormat), Count(len(t.Requests), "request"))
}

// TargetName names every target of the request, as Request.TargetName does.
func (r TimelineRequest) TargetName() string {
	return targetsName(r.Group, append([]Target{r.Target}, r.MoreTargets...))
}

// Calls are the request's call lines: one, or one per target.
func (r TimelineRequest) Calls() []string {
	if r.Call == "" {
		return nil
	}
	return strings.Split(r.Call, "\n")
}

// Text is one request as lines: its title, its calls, its steps.
func (r TimelineRequest) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s %s", r.ID, r.Op, r.TargetName())
	for _, c := range r.Calls() {
		b.WriteString("\n  call  " + c)
	}
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "\n  %s  %s", s.Time.UTC().Format(timeFormat), s.Text)
	}
	return b.String()
}

// Text is the timeline as plain text, as the console shows it.
func (t Timeline) Text() string {
	parts := []string{t.Heading()}
	for _, r := range t.Requests {
		parts = append(parts, r.Text())
	}
	return strings.Join(parts, "\n\n")
}

// Markdown is the timeline as a Markdown document, for a post-mortem.
func (t Timeline) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", markdownText(t.Heading()))
	for _, r := range t.Requests {
		fmt.Fprintf(&b, "\n## %s: %s %s\n\n", r.ID, markdownText(r.Op), markdownText(r.TargetName()))
		for _, c := range r.Calls() {
			fmt.Fprintf(&b, "- Call: `%s`\n", strings.ReplaceAll(c, "`", "'"))
		}
		for _, s := range r.Steps {
			fmt.Fprintf(&b, "- %s: %s\n", s.Time.UTC().Format(timeFormat), markdownText(s.Text))
		}
	}
	return b.String()
}

// markdownText keeps text from outside (summaries, notes) plain in
// Markdown: no emphasis, links, headings or HTML of its own.
func markdownText(s string) string { return markdownEscaper.Replace(s) }

var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`, "#", `\#`, "|", `\|`, "!", `\!`,
)
