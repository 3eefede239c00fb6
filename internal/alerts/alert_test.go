package alerts

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

const webhookBody = `{
  "version": "4", "groupKey": "{}:{alertname=\"KafkaLag\"}", "status": "firing", "receiver": "streamops",
  "truncatedAlerts": 0, "notification_reason": "new", "routeLabels": {"team": "data"},
  "groupLabels": {"alertname": "KafkaLag"}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am:9093",
  "alerts": [{
    "status": "firing",
    "labels": {"alertname": "KafkaLag", "severity": "critical", "job_id": "orders-dr", "dr_address": "10.0.2.9:9092"},
    "annotations": {"summary": "orders replication lags 10 minutes"},
    "startsAt": "2026-12-01T05:50:00Z", "endsAt": "0001-01-01T00:00:00Z",
    "generatorURL": "http://prometheus:9090/graph?g0.expr=lag", "fingerprint": "c3a1f2e4b5d6a7b8"
  }]
}`

func TestDecodeWebhook(t *testing.T) {
	list, err := Decode([]byte(webhookBody))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("got %d alerts", len(list))
	}
	a := list[0]
	if !a.Firing() || a.Labels["job_id"] != "orders-dr" || a.Fingerprint != "c3a1f2e4b5d6a7b8" || !a.EndsAt.IsZero() ||
		a.StartsAt != time.Date(2026, 12, 1, 5, 50, 0, 0, time.UTC) || a.Annotations["summary"] == "" {
		t.Fatalf("decoded %+v", a)
	}
}

func TestDecodeSingleAlert(t *testing.T) {
	list, err := Decode([]byte(`{"labels": {"alertname": "X", "a": "b"}, "endsAt": "2020-01-01T00:00:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	if list[0].Firing() {
		t.Fatal("an alert whose end is past is resolved")
	}
	if list[0].Fingerprint == "" {
		t.Fatal("an alert without a fingerprint gets one from its labels")
	}
	again, _ := Decode([]byte(`{"status": "resolved", "labels": {"a": "b", "alertname": "X"}}`))
	if again[0].Fingerprint != list[0].Fingerprint {
		t.Fatal("the same labels make the same fingerprint, whatever their order")
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, body := range []string{
		``, `[]`, `not json`, `{"version": "4", "alerts": []}`, `{"version": "3", "alerts": [{"labels": {"a": "b"}}]}`,
		`{"labels": {}}`, `{"status": "burning", "labels": {"a": "b"}}`, `{"alerts": "x", "version": "4"}`,
		`{"version": "4", "alerts": [{"labels": {"a": "b"}}, {"labels": {}}]}`,
	} {
		_, err := Decode([]byte(body))
		if !IsDecodeError(err) {
			t.Errorf("%q: got %v, want a decode error", body, err)
		}
	}
}

func TestDecodeWebhookOnly(t *testing.T) {
	if _, err := DecodeWebhook([]byte(`{"labels": {"a": "b"}}`)); err == nil {
		t.Fatal("a bare alert is not an Alertmanager webhook body")
	}
	if _, err := DecodeWebhook([]byte(webhookBody)); err != nil {
		t.Fatal(err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(webhookBody))
	f.Add([]byte(`{"labels": {"a": "b"}}`))
	f.Add([]byte(`{"version": "4", "alerts": [{"status": "resolved", "labels": {"x": "y"}, "endsAt": "2020-01-01T00:00:00Z"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := Decode(data)
		if err != nil {
			if !IsDecodeError(err) {
				t.Fatalf("error %v is not a decode error", err)
			}
			if !strings.HasPrefix(err.Error(), "not an alert: ") {
				t.Fatalf("error %q does not say what is wrong", err)
			}
			return
		}
		if len(list) == 0 || len(list) > maxAlerts {
			t.Fatalf("%d alerts", len(list))
		}
		for _, a := range list {
			if len(a.Labels) == 0 || a.Fingerprint == "" || (a.Status != StatusFiring && a.Status != StatusResolved) {
				t.Fatalf("decoded an alert that is not one: %+v", a)
			}
		}
	})
}

// The webhook's externalURL stays on each alert, and the silence link is
// Alertmanager's silence form with every label as a matcher.
func TestSilenceURLEncodesTheMatchers(t *testing.T) {
	list, err := Decode([]byte(webhookBody))
	if err != nil {
		t.Fatal(err)
	}
	a := list[0]
	if a.ExternalURL != "http://am:9093" {
		t.Fatalf("externalURL %q", a.ExternalURL)
	}
	a.Labels["note"] = `say "hi" & go`
	link := a.SilenceURL()
	const prefix = "http://am:9093/#/silences/new?filter="
	if !strings.HasPrefix(link, prefix) {
		t.Fatalf("silence link %q", link)
	}
	filter, err := url.QueryUnescape(strings.TrimPrefix(link, prefix))
	if err != nil {
		t.Fatal(err)
	}
	want := `{alertname="KafkaLag", dr_address="10.0.2.9:9092", job_id="orders-dr", note="say \"hi\" & go", severity="critical"}`
	if filter != want {
		t.Fatalf("filter %s, want %s", filter, want)
	}
	if strings.ContainsAny(strings.TrimPrefix(link, prefix), `{}" &+`) {
		t.Fatalf("the filter is not encoded: %s", link)
	}
	w, err := DecodeWebhook([]byte(webhookBody))
	if err != nil || w.Alerts[0].ExternalURL != "http://am:9093" {
		t.Fatalf("DecodeWebhook: %v, %+v", err, w.Alerts)
	}
}

// Without an externalURL (a bare alert) there is no silence link.
func TestSilenceURLNeedsTheExternalURL(t *testing.T) {
	list, err := Decode([]byte(`{"labels": {"alertname": "X"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := list[0].SilenceURL(); got != "" {
		t.Fatalf("silence link %q without an externalURL", got)
	}
	for _, body := range []string{
		`{"version": "4", "externalURL": 7, "alerts": [{"labels": {"alertname": "X"}}]}`,
		`{"version": "4", "externalURL": ["http://am"], "alerts": [{"labels": {"alertname": "X"}}]}`,
	} {
		if _, err := Decode([]byte(body)); !IsDecodeError(err) {
			t.Fatalf("%s: %v", body, err)
		}
	}
}
