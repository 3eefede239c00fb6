// Package alerts turns alerts into proposed operations: it decodes
// Alertmanager's webhook body (or one alert on its own), matches alerts
// against the configured rules, renders each rule's command and keeps a
// storm of firings of one alert on one request. It knows nothing of NATS or
// Slack: the bus hands it messages and the front ends show what it proposes.
package alerts

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Alert is one alert as Alertmanager sends it in a webhook. The fields are
// those of Alertmanager's template.Alert; that package is not imported
// because it brings its whole templating stack along.
type Alert struct {
	Status       string            `json:"status"` // firing or resolved
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"` // zero while firing
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
	// ExternalURL is the Alertmanager that sent the alert (the webhook's
	// externalURL), for the link that silences it; empty for a bare alert.
	ExternalURL string `json:"-"`
}

// Firing reports whether the alert is still firing.
func (a Alert) Firing() bool { return a.Status != StatusResolved }

// Alert statuses as Alertmanager spells them.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// Webhook is Alertmanager's webhook body (version 4). Fields a newer
// Alertmanager adds (truncatedAlerts, notification_reason...) are ignored.
type Webhook struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []Alert           `json:"alerts"`
}

// DecodeError says why a message is not an alert; such a message is never
// worth trying again.
type DecodeError struct{ Reason string }

func (e *DecodeError) Error() string { return "not an alert: " + e.Reason }

func undecodable(format string, a ...any) error {
	return &DecodeError{Reason: fmt.Sprintf(format, a...)}
}

// maxAlerts bounds the alerts taken from one message; Alertmanager sends
// far fewer per group (and truncates above its own max_alerts).
const maxAlerts = 1000

// maxLabels bounds an alert's labels and annotations, so that a rule's
// template ranging over them stays cheap.
const maxLabels = 128

// Decode reads a message: Alertmanager's webhook body, or one alert object
// with the same fields. Each alert has labels and a known status; one
// without a fingerprint is given one computed from its labels.
func Decode(data []byte) ([]Alert, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return nil, undecodable("expected a JSON object (an Alertmanager webhook body or one alert)")
	}
	// One pass for both shapes: a webhook's own fields, and an alert's
	// fields for a bare alert (a webhook's status lands there, unused).
	var msg struct {
		Version     *string `json:"version"`
		Alerts      []Alert `json:"alerts"`
		ExternalURL string  `json:"externalURL"`
		Alert
	}
	if err := json.Unmarshal(data, &msg); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, undecodable("invalid JSON: %v", err)
		}
		return nil, undecodable("neither an Alertmanager webhook body nor an alert: %v", err)
	}
	list := []Alert{msg.Alert}
	if msg.Alerts != nil || msg.Version != nil {
		if err := checkWebhook(derefOr(msg.Version), len(msg.Alerts)); err != nil {
			return nil, err
		}
		list = msg.Alerts
	}
	for i := range list {
		list[i].ExternalURL = msg.ExternalURL
		if err := normalize(&list[i]); err != nil {
			if len(list) > 1 {
				return nil, undecodable("alert %d: %s", i+1, err.(*DecodeError).Reason)
			}
			return nil, err
		}
	}
	return list, nil
}

// DecodeWebhook reads Alertmanager's webhook body and nothing else: version
// 4 with a list of alerts.
func DecodeWebhook(data []byte) (Webhook, error) {
	var w Webhook
	if err := json.Unmarshal(data, &w); err != nil {
		return Webhook{}, undecodable("invalid Alertmanager webhook body: %v", err)
	}
	if err := checkWebhook(w.Version, len(w.Alerts)); err != nil {
		return Webhook{}, err
	}
	for i := range w.Alerts {
		w.Alerts[i].ExternalURL = w.ExternalURL
		if err := normalize(&w.Alerts[i]); err != nil {
			return Webhook{}, undecodable("alert %d: %s", i+1, err.(*DecodeError).Reason)
		}
	}
	return w, nil
}

func checkWebhook(version string, alerts int) error {
	switch {
	case version != "4":
		return undecodable("Alertmanager webhook version %q; this bot reads version 4", version)
	case alerts == 0:
		return undecodable("an Alertmanager webhook body with no alerts")
	case alerts > maxAlerts:
		return undecodable("%d alerts in one message; at most %d are taken", alerts, maxAlerts)
	}
	return nil
}

func derefOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func normalize(a *Alert) error {
	if len(a.Labels) == 0 {
		return undecodable("it has no labels")
	}
	if len(a.Labels) > maxLabels || len(a.Annotations) > maxLabels {
		return undecodable("%d labels and %d annotations; at most %d of each are taken", len(a.Labels), len(a.Annotations), maxLabels)
	}
	switch a.Status {
	case StatusFiring, StatusResolved:
	case "":
		// A bare alert may leave the status out, as Alertmanager's own API
		// does: an end time in the past means it resolved.
		a.Status = StatusFiring
		if !a.EndsAt.IsZero() && a.EndsAt.Before(time.Now()) {
			a.Status = StatusResolved
		}
	default:
		return undecodable("status %q is neither firing nor resolved", a.Status)
	}
	if a.Fingerprint == "" {
		a.Fingerprint = fingerprint(a.Labels)
	}
	return nil
}

// SilenceURL is the page of the Alertmanager that sent a that silences it:
// the silence form of Alertmanager's UI with the alert's labels as
// matchers, as its own notification templates link it. Empty when the
// alert came without an externalURL.
func (a Alert) SilenceURL() string {
	if a.ExternalURL == "" {
		return ""
	}
	matchers := make([]string, 0, len(a.Labels))
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		matchers = append(matchers, k+"="+strconv.Quote(a.Labels[k]))
	}
	filter := url.QueryEscape("{" + strings.Join(matchers, ", ") + "}")
	// The UI reads the filter from its #fragment, where a + stays a +.
	filter = strings.ReplaceAll(filter, "+", "%20")
	return strings.TrimRight(a.ExternalURL, "/") + "/#/silences/new?filter=" + filter
}

// fingerprint identifies an alert by its labels, as Alertmanager does, for
// alerts that come without one.
func fingerprint(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	slices.SortFunc(names, cmp.Compare)
	h := sha256.New()
	for _, k := range names {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(labels[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// IsDecodeError reports whether err says a message is not an alert.
func IsDecodeError(err error) bool {
	var de *DecodeError
	return errors.As(err, &de)
}
