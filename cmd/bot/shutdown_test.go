package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/sandbox/enossim"
)

// A stop that leaves a call uncertain says so in the request's Slack
// thread, as it does on stderr, before the bot exits.
func TestStopTellsTheSlackThreadWhatItLeftUncertain(t *testing.T) {
	sim := enossim.New(enossim.Config{Pipelines: []enossim.Pipeline{{ID: "p-7d3f9a21", Name: "orders-etl", Status: "RUNNING"}}}, "o-e2e", "k", "s")
	arrived, hold := make(chan struct{}, 1), make(chan struct{})
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("action") != "" {
			arrived <- struct{}{}
			<-hold
		}
		sim.ServeHTTP(w, r)
	}))
	defer provider.Close()
	defer close(hold)
	api := newSlackAPI(t, authOK)
	const secret = "test-signing-secret"
	config := strings.Replace(slackConfig(t.TempDir(), api.URL+"/api/"), "enos: {endpoint: sandbox,", fmt.Sprintf("enos: {endpoint: %q, timeout: 30s,", provider.URL), 1)
	h := startHeadless(t, config+"shutdown: {timeout: 1s}\n", map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": secret}, strings.NewReader(""))

	send := func(path, form string) {
		t.Helper()
		resp, err := http.DefaultClient.Do(signedSlack(t, "http://"+h.addr+path, secret, form))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	// find waits for a post whose field holds pattern, and its ts.
	find := func(field, pattern string) (url.Values, string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			api.mu.Lock()
			for i, post := range api.posts {
				if strings.Contains(post.Get(field), pattern) {
					api.mu.Unlock()
					return post, fmt.Sprintf("1764500000.%06d", i+1)
				}
			}
			api.mu.Unlock()
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("nothing posted with %q in %s", pattern, field)
		return nil, ""
	}
	send("/slack/commands", url.Values{"team_id": {"T0"}, "channel_id": {"C0OPS"}, "user_id": {"U0ALICE"}, "command": {"/streamops"},
		"text": {"pipeline pause orders-etl"}, "trigger_id": {"1.2.3"}}.Encode())
	card, ts := find("blocks", "orders-etl (p-7d3f9a21)")
	id := regexp.MustCompile(`r-[0-9a-f]{6}`).FindString(card.Get("blocks"))
	require.NotEmpty(t, id)
	send("/slack/interactions", url.Values{"payload": {fmt.Sprintf(`{"type":"block_actions","user":{"id":"U0BOB"},"container":{"type":"message","message_ts":%q,"channel_id":"C0OPS"},"trigger_id":"t1","actions":[{"action_id":"confirm","block_id":"decision","value":%q,"type":"button","action_ts":"1.3"}]}`, ts, id)}}.Encode())
	select {
	case <-arrived:
	case <-time.After(15 * time.Second):
		t.Fatal("the call never reached the provider")
	}

	require.NoError(t, h.stop())
	assert.Contains(t, h.stderr.String(), "bot: stopped while "+id+" (pipeline pause orders-etl (p-7d3f9a21)) was being carried out: its outcome is uncertain")
	reply, _ := find("text", "Outcome uncertain: the bot was stopped before it heard back from EnOS")
	assert.Equal(t, "C0OPS", reply.Get("channel"))
	assert.Equal(t, ts, reply.Get("thread_ts"), "in the card's thread")
}
