package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
)

func TestExposition(t *testing.T) {
	m := New()
	m.Transition("pipeline pause", ops.Pending)
	m.Transition("pipeline pause", ops.Succeeded)
	m.Transition("pipeline pause", ops.Succeeded)
	m.ProviderCall("EnOS", "default", "pipeline pause", 300*time.Millisecond, nil)
	m.ProviderCall("EnOS", "default", "pipeline pause", 2*time.Second, errors.New("boom"))

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	text := string(body)
	assert.Contains(t, text, `streamops_requests_total{op="pipeline pause",state="pending"} 1`)
	assert.Contains(t, text, `streamops_requests_total{op="pipeline pause",state="succeeded"} 2`)
	assert.Contains(t, text, `streamops_provider_call_seconds_bucket{account="default",op="pipeline pause",provider="EnOS",result="ok",le="0.5"} 1`)
	assert.Contains(t, text, `streamops_provider_call_seconds_bucket{account="default",op="pipeline pause",provider="EnOS",result="error",le="1"} 0`)
	assert.Contains(t, text, `streamops_provider_call_seconds_count{account="default",op="pipeline pause",provider="EnOS",result="error"} 1`)
	assert.Contains(t, text, "go_goroutines")
}

// Two bots in one process (as in tests) each have their own registry.
func TestRegistriesAreSeparate(t *testing.T) {
	a, b := New(), New()
	a.Transition("x", ops.Pending)
	rec := httptest.NewRecorder()
	b.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	assert.NotContains(t, rec.Body.String(), `streamops_requests_total{op="x"`)
}

// Each account's calls have their own series, at zero from the start,
// and each account names where its targets live.
func TestAccounts(t *testing.T) {
	m := New()
	m.Account(AccountInfo{Provider: "EventGrid", Account: "default", Region: "cn-north-4", Project: "0a1b"})
	m.Account(AccountInfo{Provider: "EventGrid", Account: "shanghai", Region: "cn-east-3", Project: "9f8e"})
	m.Account(AccountInfo{Provider: "EnOS", Account: "default", Org: "o1"})
	m.Declare([]ops.OperationInfo{{Name: "job stop", Provider: "EventGrid"}, {Name: "pipeline pause", Provider: "EnOS"}})
	m.ProviderCall("EventGrid", "shanghai", "job stop", time.Second, nil)
	text := scrape(t, m)
	for _, s := range []string{
		`streamops_account_info{account="default",org="",project="0a1b",provider="EventGrid",region="cn-north-4"} 1`,
		`streamops_account_info{account="shanghai",org="",project="9f8e",provider="EventGrid",region="cn-east-3"} 1`,
		`streamops_account_info{account="default",org="o1",project="",provider="EnOS",region=""} 1`,
		`streamops_provider_call_seconds_count{account="default",op="job stop",provider="EventGrid",result="ok"} 0`,
		`streamops_provider_call_seconds_count{account="shanghai",op="job stop",provider="EventGrid",result="ok"} 1`,
		`streamops_provider_call_seconds_count{account="shanghai",op="job stop",provider="EventGrid",result="error"} 0`,
		`streamops_provider_call_seconds_count{account="default",op="pipeline pause",provider="EnOS",result="error"} 0`,
	} {
		assert.Contains(t, text, s)
	}
	assert.NotContains(t, text, `account="shanghai",op="pipeline pause"`, "EnOS has no account shanghai")
}

type openRequests struct {
	rs  []ops.Request
	err error
}

func (o openRequests) Pending(context.Context) ([]ops.Request, error) { return o.rs, o.err }

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

func TestSeriesExistBeforeTheFirstRequest(t *testing.T) {
	m := New()
	m.Declare([]ops.OperationInfo{{Name: "stream pause", Provider: "EventGrid", Checked: true}, {Name: "job create", Provider: "EventGrid"}})
	m.WatchRequests(openRequests{})
	m.WatchNATS(func() bool { return false })
	text := scrape(t, m)
	for _, s := range []string{
		`streamops_requests_total{op="stream pause",state="pending"} 0`,
		`streamops_requests_total{op="job create",state="expired"} 0`,
		`streamops_provider_call_seconds_count{account="default",op="stream pause",provider="EventGrid",result="error"} 0`,
		`streamops_status_checks_total{op="stream pause",result="stopped"} 0`,
		`streamops_open_requests{state="pending"} 0`,
		`streamops_open_requests{state="executing"} 0`,
		`streamops_nats_connected 0`,
	} {
		assert.Contains(t, text, s)
	}
	assert.NotContains(t, text, `streamops_status_checks_total{op="job create"`, "job create declares no check")
}

func TestOpenRequestsAndStatusChecks(t *testing.T) {
	m := New()
	m.WatchRequests(openRequests{rs: []ops.Request{{State: ops.Pending}, {State: ops.Pending}, {State: ops.Executing}}})
	m.StatusCheck("job switch", ops.CheckTimedOut)
	text := scrape(t, m)
	assert.Contains(t, text, `streamops_open_requests{state="pending"} 2`)
	assert.Contains(t, text, `streamops_open_requests{state="executing"} 1`)
	assert.Contains(t, text, `streamops_status_checks_total{op="job switch",result="timed_out"} 1`)
}

// A store that cannot be read loses its own series, not the page.
func TestAnUnreadableStoreLeavesTheRest(t *testing.T) {
	m := New()
	m.WatchRequests(openRequests{err: errors.New("nats: timeout")})
	m.Transition("x", ops.Pending)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	assert.Equal(t, 200, rec.Code)
	assert.Contains(t, rec.Body.String(), `streamops_requests_total{op="x",state="pending"} 1`)
	assert.NotContains(t, rec.Body.String(), `streamops_open_requests{`)
}

// Every series the Grafana dashboard queries is one the bot exports.
func TestTheDashboardQueriesExportedSeries(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/grafana/streamops.json")
	require.NoError(t, err)
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &dash), "the dashboard is JSON")

	m := New()
	m.Declare([]ops.OperationInfo{{Name: "pipeline pause", Provider: "EnOS", Checked: true}})
	m.WatchRequests(openRequests{})
	m.WatchNATS(func() bool { return true })
	exported := scrape(t, m)
	name := regexp.MustCompile(`\b(?:streamops|process|go)_[a-z_]+\b`)
	require.NotEmpty(t, dash.Panels)
	for _, p := range dash.Panels {
		require.NotEmpty(t, p.Targets, p.Title)
		for _, target := range p.Targets {
			for _, n := range name.FindAllString(target.Expr, -1) {
				assert.Regexp(t, `(?m)^`+n+`[{ ]`, exported, "panel %q queries %s", p.Title, n)
			}
		}
	}
}
