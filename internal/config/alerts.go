package config

import (
	"maps"
	"regexp"
	"slices"
	"time"

	"github.com/streamops/streamops/internal/alerts"
	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/ops"
)

// Alerts says where alerts come from (NATS subjects, Alertmanager's
// webhook) and where the cards of what they propose go.
type Alerts struct {
	Subjects   []string      `yaml:"subjects"`    // default [alerts.>]
	DeadLetter string        `yaml:"dead_letter"` // default alerts.dead
	Retention  time.Duration `yaml:"retention"`   // how long the stream keeps alerts, default 24h
	MaxDeliver int           `yaml:"max_deliver"` // tries of one alert before the dead letter, default 5
	// MaxBytes bounds the stream's disk; when it is full the oldest alerts
	// go first (default 256MiB).
	MaxBytes Size `yaml:"max_bytes"`
	// WebhookToken, if set, is the bearer token POST /alerts/alertmanager
	// requires; or ALERTS_WEBHOOK_TOKEN.
	WebhookToken string `yaml:"webhook_token"`
	// WebhookSubject is where webhook bodies are published, under Subjects.
	WebhookSubject string `yaml:"webhook_subject"`
	// UpdateEvery is the least time between two updates of a card's count
	// of firings, default 2s (Slack allows about one update a second).
	UpdateEvery time.Duration `yaml:"update_every"`
	// Channels names the channels rules post in: a key -> Slack channel ID.
	Channels map[string]string `yaml:"channels"`
}

func (a *Alerts) prepare(getenv func(string) string) {
	if len(a.Subjects) == 0 {
		a.Subjects = []string{"alerts.>"}
	}
	if a.DeadLetter == "" {
		a.DeadLetter = "alerts.dead"
	}
	if a.MaxDeliver == 0 {
		a.MaxDeliver = 5
	}
	if a.WebhookSubject == "" {
		a.WebhookSubject = "alerts.alertmanager"
	}
	if v := getenv("ALERTS_WEBHOOK_TOKEN"); v != "" {
		a.WebhookToken = v
	}
}

// Ingest is the part the bus needs.
func (a Alerts) Ingest() bus.Ingest {
	return bus.Ingest{Subjects: a.Subjects, DeadLetter: a.DeadLetter, Retention: a.Retention, MaxDeliver: a.MaxDeliver, MaxBytes: a.MaxBytes.Bytes()}
}

var slackChannelID = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)

func (a Alerts) validate(rules []alerts.Rule, withSlack bool, bad func(string, ...any)) {
	for _, err := range bus.ValidateIngest(a.Ingest(), "alerts.") {
		bad("%v", err)
	}
	under := false
	for _, s := range a.Subjects {
		under = under || bus.SubjectMatches(s, a.WebhookSubject)
	}
	switch {
	case !bus.ValidSubject(a.WebhookSubject, false):
		bad("alerts.webhook_subject: %q is not a NATS subject without wildcards, like alerts.alertmanager", a.WebhookSubject)
	case !under:
		bad("alerts.webhook_subject: %q is not under alerts.subjects, so webhook alerts would not be handled", a.WebhookSubject)
	case a.WebhookSubject == a.DeadLetter:
		bad("alerts.webhook_subject: it is alerts.dead_letter too: give them different subjects")
	}
	if a.UpdateEvery < 10*time.Millisecond || a.UpdateEvery > 10*time.Minute {
		bad("alerts.update_every: %s is out of range: give a duration from 10ms to 10m, like 2s", a.UpdateEvery)
	}
	for _, k := range slices.Sorted(maps.Keys(a.Channels)) {
		id := a.Channels[k]
		switch {
		case !ops.ValidAlias(k):
			bad("alerts.channels.%s: a channel key starts with a letter and has only letters, digits, '.', '_' and '-'", k)
		case id == "":
			bad("alerts.channels.%s: give the Slack channel ID, like C0123ABCDEF", k)
		case withSlack && !slackChannelID.MatchString(id):
			bad("alerts.channels.%s: %q is not a Slack channel ID (like C0123ABCDEF: in Slack, the channel's details, at the bottom)", k, id)
		}
	}
	if _, err := alerts.Compile(rules, a.Channels); err != nil {
		if list, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range list.Unwrap() {
				bad("%v", e)
			}
		} else {
			bad("%v", err)
		}
	}
}
