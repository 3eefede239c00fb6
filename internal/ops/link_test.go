package ops_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/streamops/streamops/internal/ops"
)

// An alert's addresses are buttons only when they are absolute http(s)
// links; anything else is shown as text among the card's fields.
func TestCardLinksOnlySafeAddresses(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		link      bool
	}{
		{"https", "https://runbooks.example.com/kafka-lag#steps", true},
		{"http with port and query", "http://prometheus:9090/graph?g0.expr=lag%3E5", true},
		{"upper-case scheme", "HTTPS://runbooks.example.com/x", true},
		{"javascript", "javascript:alert(1)", false},
		{"relative", "/graph?g0.expr=lag", false},
		{"no scheme", "runbooks.example.com/x", false},
		{"no host", "https:///path", false},
		{"credentials", "https://user:secret@runbooks.example.com/", false},
		{"other scheme", "ftp://files.example.com/x", false},
		{"data", "data:text/html,<script>alert(1)</script>", false},
		{"not a URL", "http://[::1", false},
		{"mrkdwn link", "<https://evil.example|runbook>", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			card := ops.CardOf(ops.Request{Op: "pipeline pause", Alert: &ops.Alert{Name: "Lag", Runbook: tc.url}})
			var field string
			for _, f := range card.Fields {
				if f.Label == "Runbook" {
					field = f.Value
				}
			}
			if tc.link {
				assert.Len(t, card.Links, 1)
				assert.Equal(t, "Runbook", card.Links[0].Label)
				assert.Empty(t, field, "a link is a button, not a field too")
				return
			}
			assert.Empty(t, card.Links, "%q must not be a button", tc.url)
			assert.Equal(t, tc.url, field, "shown as text instead")
		})
	}
}

// The links come in the card's order: runbook, source, silence; a request
// no alert made has none.
func TestCardLinksOrder(t *testing.T) {
	card := ops.CardOf(ops.Request{Op: "job switch", Alert: &ops.Alert{
		Source: "http://prom:9090/graph", Runbook: "https://wiki/rb", Silence: "http://am:9093/#/silences/new?filter=%7Ba%3D%22b%22%7D",
	}})
	assert.Equal(t, []ops.Link{
		{Label: "Runbook", URL: "https://wiki/rb"},
		{Label: "Source", URL: "http://prom:9090/graph"},
		{Label: "Silence", URL: "http://am:9093/#/silences/new?filter=%7Ba%3D%22b%22%7D"},
	}, card.Links)
	assert.Empty(t, ops.CardOf(ops.Request{Op: "job switch"}).Links)
}

// Whatever an alert holds, a card's link is an absolute http(s) address
// with a host.
func FuzzCardLinks(f *testing.F) {
	for _, s := range []string{"https://wiki/x", "javascript:alert(1)", "/rel", "HTTP://h", "http://[::1]:80/", "https://u:p@h/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, l := range ops.CardOf(ops.Request{Alert: &ops.Alert{Runbook: raw}}).Links {
			u, err := url.Parse(l.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
				t.Fatalf("%q became the link %q", raw, l.URL)
			}
		}
	})
}
