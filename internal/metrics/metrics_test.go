package metrics

import (
	"errors"
	"io"
	"net/http/httptest"
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
	m.ProviderCall("EnOS", "pipeline pause", 300*time.Millisecond, nil)
	m.ProviderCall("EnOS", "pipeline pause", 2*time.Second, errors.New("boom"))

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	text := string(body)
	assert.Contains(t, text, `streamops_requests_total{op="pipeline pause",state="pending"} 1`)
	assert.Contains(t, text, `streamops_requests_total{op="pipeline pause",state="succeeded"} 2`)
	assert.Contains(t, text, `streamops_provider_call_seconds_bucket{op="pipeline pause",provider="EnOS",result="ok",le="0.5"} 1`)
	assert.Contains(t, text, `streamops_provider_call_seconds_bucket{op="pipeline pause",provider="EnOS",result="error",le="1"} 0`)
	assert.Contains(t, text, `streamops_provider_call_seconds_count{op="pipeline pause",provider="EnOS",result="error"} 1`)
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
