package ops_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
)

// trailBot is a replica with its own NATS connection and the audit trail
// to read, as `timeline` needs.
func (w *world) trailBot(t *testing.T) *bot {
	t.Helper()
	conn := connect(t, bus.Config{URL: w.bus.ClientURL()})
	return w.startBot(t, conn, ops.Settings{
		Targets:       ops.Targets{"pipeline": {"orders-etl": "p-100", "billing": "p-200"}},
		CheckInterval: 10 * time.Millisecond,
	}, ops.Deps{
		Providers: []ops.Provider{pipelines.New(enos.New(w.url, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}))},
		Trail:     conn.Audit(),
	})
}

func inChannel(ch string) ops.Origin { return ops.Origin{Frontend: ops.FrontendSlack, Channel: ch} }

// `timeline` lists a channel's requests in the order they were asked, with
// who asked and confirmed, the call, the outcome with the provider's
// request ID and the status read after; on another replica than the one
// that made and confirmed them.
func TestTimelineListsTheChannelsRequestsFromAnotherReplica(t *testing.T) {
	w := newWorld(t)
	one, two := w.trailBot(t), w.trailBot(t)
	ctx := context.Background()
	ask := func(text, channel string) ops.Request {
		reply, err := one.svc.Handle(ctx, ops.Input{Text: text, User: "U0ALICE", Origin: inChannel(channel)})
		require.NoError(t, err)
		require.NotNil(t, reply.Request)
		return *reply.Request
	}
	paused := ask("pipeline pause orders-etl", "C0INC")
	done, err := one.svc.Confirm(ctx, paused.ID, "U0BOB")
	require.NoError(t, err)
	require.Equal(t, ops.Succeeded, done.State)
	require.NotEmpty(t, done.Outcome.RequestID)
	w.noticeAsTimePasses(t, one) // the status read after the call
	elsewhere := ask("pipeline start billing", "C0OTHER")
	cancelled := ask("pipeline start billing", "C0INC")
	_, err = one.svc.Cancel(ctx, cancelled.ID, "U0CAROL")
	require.NoError(t, err)

	reply, err := two.svc.Handle(ctx, ops.Input{Text: "timeline 2h", User: "U0DAVE", Origin: inChannel("C0INC")})
	require.NoError(t, err)
	require.NotNil(t, reply.Timeline)
	tl := *reply.Timeline
	require.Len(t, tl.Requests, 2, "the other channel's request is not listed")
	first, second := tl.Requests[0], tl.Requests[1]
	assert.Equal(t, paused.ID, first.ID)
	assert.Equal(t, cancelled.ID, second.ID)
	assert.Equal(t, paused.Call, first.Call)
	var steps []string
	for _, s := range first.Steps {
		steps = append(steps, s.Text)
	}
	require.Len(t, steps, 4, "%q", steps)
	assert.Equal(t, "asked by U0ALICE via slack", steps[0])
	assert.Equal(t, "confirmed by U0BOB", steps[1])
	assert.Contains(t, steps[2], done.Outcome.RequestID, "the provider's request ID")
	assert.True(t, strings.HasPrefix(steps[2], "succeeded: "), steps[2])
	assert.True(t, strings.HasPrefix(steps[3], "status read after: "), steps[3])
	assert.Equal(t, []string{"U0ALICE", "U0BOB"}, first.People)
	assert.Equal(t, "cancelled by U0CAROL: nothing was done", second.Steps[1].Text)

	text := reply.Text
	assert.Regexp(t, `(?s)^Timeline of this channel since .*: 2 requests\n\n`+paused.ID+`  pipeline pause orders-etl \(p-100\)\n  call  `, text)
	assert.Less(t, strings.Index(text, paused.ID), strings.Index(text, cancelled.ID))
	assert.NotContains(t, text, elsewhere.ID)
}

// A span that is not one, or too long, says what to write.
func TestTimelineSince(t *testing.T) {
	for word, want := range map[string]time.Duration{"": 24 * time.Hour, "30m": 30 * time.Minute, "2h": 2 * time.Hour, "3d": 72 * time.Hour, "7d": 7 * 24 * time.Hour, "1h30m": 90 * time.Minute} {
		got, err := ops.ParseSince(word)
		require.NoError(t, err, word)
		assert.Equal(t, want, got, word)
	}
	for _, word := range []string{"yesterday", "2", "-1h", "0s", "0d", "d", "1.5d", "8d", "169h", "2h;", "99999999999999999999d", "213504d", "r-066edd"} {
		_, err := ops.ParseSince(word)
		var bad *ops.InputError
		require.ErrorAs(t, err, &bad, word)
		assert.Contains(t, err.Error(), "7d", "%s: %v", word, err)
	}
	w := newWorld(t)
	b := w.trailBot(t)
	_, err := b.svc.Handle(context.Background(), ops.Input{Text: "timeline soon", User: "U0ALICE", Origin: inChannel("C0INC")})
	require.EqualError(t, err, `"soon" is not a time span: write how far back to look, like 30m, 2h or 3d (default 24h, at most 7d)`)
}

// The Markdown timeline keeps text from outside plain.
func TestTimelineMarkdownEscapes(t *testing.T) {
	tl := ops.Timeline{Where: "target orders-etl", Since: time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC), Requests: []ops.TimelineRequest{{
		ID: "r-066edd", Op: "pipeline pause", Target: ops.Target{Alias: "orders-etl", ID: "p-1"}, Call: "EnOS POST /x?`a`",
		Steps: []ops.Step{{Time: time.Date(2026, 12, 1, 6, 1, 0, 0, time.UTC), Text: "failed: *bold* [link](http://x) <b>"}},
	}}}
	assert.Equal(t, "# Timeline of target orders-etl since 2026-12-01 06:00:00Z: 1 request\n\n"+
		"## r-066edd: pipeline pause orders-etl (p-1)\n\n"+
		"- Call: `EnOS POST /x?'a'`\n"+
		"- 2026-12-01 06:01:00Z: failed: \\*bold\\* \\[link\\](http://x) \\<b\\>\n", tl.Markdown())
}

// Whatever is typed, a span is within (0, 7d] or an error says what to write.
func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"", "2h", "3d", "8d", "-1d", "1e9h", "9223372036854775807d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, word string) {
		d, err := ops.ParseSince(word)
		if err != nil {
			if !strings.Contains(err.Error(), "7d") {
				t.Fatalf("%q: %v does not say what to write", word, err)
			}
			return
		}
		if d <= 0 || d > 7*24*time.Hour {
			t.Fatalf("%q is %s", word, d)
		}
	})
}
