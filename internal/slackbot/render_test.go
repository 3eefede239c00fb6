package slackbot

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/operations"
	"github.com/streamops/streamops/internal/ops"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// cardRequests are requests in each state, as the cards show them.
func cardRequests() map[string]ops.Request {
	created := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	pause := ops.Request{
		ID: "r-7f3a9c", Op: "pipeline pause", Text: "pipeline pause orders-etl",
		Target:    ops.Target{Kind: "pipeline", Alias: "orders-etl", ID: "p-7d3f9a21", Provider: "EnOS", Scope: "org o15589290120351"},
		Call:      "EnOS POST /streaming/v2.0/streaming/pipeline/p-7d3f9a21?action=pause&orgId=o15589290120351",
		Requester: alice, Origin: ops.Origin{Frontend: "slack", Channel: channel},
		State: ops.Pending, CreatedAt: created, ExpiresAt: created.Add(10 * time.Minute),
	}
	executing := pause
	executing.State, executing.DecidedBy, executing.DecidedAt = ops.Executing, bob, created.Add(time.Minute)
	succeeded := executing
	succeeded.State = ops.Succeeded
	succeeded.Outcome = &ops.Outcome{JobID: "p-7d3f9a21", RequestID: "2a1c5e7f", Summary: "Paused pipeline orders-etl (p-7d3f9a21): job ID p-7d3f9a21, request ID 2a1c5e7f"}
	failed := executing
	failed.State = ops.Failed
	failed.Outcome = &ops.Outcome{
		Error:   &ops.Failure{Code: "61152", Message: "Status cannot be changed <!channel> & <@U0EVIL>", RequestID: "9b8d"},
		Summary: "Could not pause pipeline orders-etl (p-7d3f9a21): 61152 Status cannot be changed <!channel> & <@U0EVIL> (request ID 9b8d)",
	}
	cancelled := pause
	cancelled.State, cancelled.DecidedBy = ops.Cancelled, bob
	expired := pause
	expired.State = ops.Expired
	create := ops.Request{
		ID: "r-0c0ffe", Op: "job create", Text: `job create dr-2 template=kafka-dr description="<!here> copy"`,
		Target:    ops.Target{Kind: "job", Alias: "dr-2", Provider: "EventGrid", Scope: "region cn-north-4, project 0a1b"},
		Call:      "EventGrid POST /v1/0a1b/eventrouter/jobs",
		Args:      map[string]string{"template": "kafka-dr", "description": "<!here> copy", "sink_password": "hunter2"},
		Details:   []ops.Field{{Label: "Job", Value: "{\n  \"name\": \"dr-2\",\n  \"description\": \"<!here> copy\"\n}"}},
		Requester: alice, Origin: ops.Origin{Frontend: "slack", Channel: channel},
		State: ops.Pending, CreatedAt: created, ExpiresAt: created.Add(10 * time.Minute),
	}
	return map[string]ops.Request{
		"pending": pause, "executing": executing, "succeeded": succeeded, "failed": failed,
		"cancelled": cancelled, "expired": expired, "create": create,
	}
}

func TestCardsMatchGoldenFiles(t *testing.T) {
	for name, r := range cardRequests() {
		t.Run(name, func(t *testing.T) {
			raw, err := json.Marshal(slack.Blocks{BlockSet: cardBlocks(r, riskOf(r.Op))})
			require.NoError(t, err)
			var blocks any // re-encoded so the file shows <, > and & as Slack reads them
			require.NoError(t, json.Unmarshal(raw, &blocks))
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			require.NoError(t, enc.Encode(blocks))
			path := filepath.Join("testdata", "card-"+name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -update to write it")
			assert.Equal(t, string(want), b.String())

			// Nothing from outside can mention anyone.
			assert.NotContains(t, b.String(), "<!")
			assert.NotContains(t, b.String(), "<@U0EVIL")
			assert.NotContains(t, b.String(), "hunter2")
		})
	}
}

func TestMrkdwnEscapesAndMentionsOnlyKnownUsers(t *testing.T) {
	assert.Equal(t, "&lt;!channel&gt; &amp; <@U0ALICE> asked, not &lt;@U0BOB&gt;",
		mrkdwn("<!channel> & U0ALICE asked, not <@U0BOB>", alice, bob))
	assert.Equal(t, "alice asked", mrkdwn("alice asked", "alice"), "a console user name is no Slack ID")
	assert.Equal(t, "xU0ALICE", mrkdwn("xU0ALICE", alice), "only whole words")
}

func TestDangerousOperationsGetTheDialog(t *testing.T) {
	for op, want := range map[string]bool{
		"pipeline stop": true, "job switch": true, "job create": true, "job stop": true,
		"pipeline pause": false, "pipeline start": false, "stream pause": false, "": false,
	} {
		assert.Equal(t, want, riskOf(op) == ops.Dangerous, op)
		raw, err := json.Marshal(buttons(ops.Request{ID: "r-7f3a9c", Op: op}, riskOf(op)))
		require.NoError(t, err)
		assert.Equal(t, want, strings.Contains(string(raw), `"style":"danger"`), op)
	}
}

// riskOf is the risk of the operation named, as every provider's specs say.
func riskOf(op string) ops.Risk {
	for _, s := range operations.All() {
		if s.Name == op {
			return s.Risk
		}
	}
	return ops.Routine
}

// A pending card speaks Slack: the buttons decide it, not the console's
// `confirm r-…` typed in the channel, which Slack would not take.
func TestPendingCardSaysNothingInConsoleSyntax(t *testing.T) {
	r := cardRequests()["pending"]
	raw, err := json.Marshal(slack.Blocks{BlockSet: cardBlocks(r, riskOf(r.Op))})
	require.NoError(t, err)
	for _, text := range []string{string(raw), cardText(r)} {
		assert.NotContains(t, text, "`confirm "+r.ID)
		assert.NotContains(t, text, "`cancel "+r.ID)
		assert.Contains(t, text, "Waiting for confirmation: use the buttons below.")
	}
	assert.Contains(t, string(raw), `"action_id":"confirm"`)
}
