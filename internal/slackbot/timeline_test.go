package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slacktest"
)

// onNATSOf makes a world another replica of other's bot: its own service,
// bot and fake Slack, on other's NATS.
func onNATSOf(other *world) worldOption {
	return func(o *setup) { o.nats = other.bus.ClientURL() }
}

// timelinePosted waits for a timeline posted in the channel and returns
// its sections' text.
func timelinePosted(w *world, n int) []string {
	w.t.Helper()
	var c slacktest.Call
	w.slack.WaitFor(fmt.Sprintf("timeline number %d", n), func(call slacktest.Call) bool {
		if call.Method == "chat.postMessage" && strings.HasPrefix(call.Form.Get("text"), "Timeline of this channel") {
			n--
			c = call
		}
		return n == 0
	})
	require.Equal(w.t, channel, c.Form.Get("channel"))
	var blocks []struct {
		Type string `json:"type"`
		Text struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"text"`
	}
	require.NoError(w.t, json.Unmarshal([]byte(c.Form.Get("blocks")), &blocks))
	var texts []string
	for _, b := range blocks {
		require.Equal(w.t, "section", b.Type)
		require.Equal(w.t, "mrkdwn", b.Text.Type)
		require.LessOrEqual(w.t, len(b.Text.Text), maxSectionText)
		texts = append(texts, b.Text.Text)
	}
	return texts
}

// `timeline` posts one message with the channel's requests in order, each
// with who asked and confirmed, its call, its outcome with the provider's
// request ID and the status read after, on a replica that neither made
// nor confirmed them; over HTTP and Socket Mode.
func TestTimelineFromAnotherReplica(t *testing.T) {
	one := newWorld(t)
	two := newWorld(t, onNATSOf(one))

	one.command(alice, "pipeline pause orders-etl")
	paused, ts := one.card(`orders-etl`)
	code, _ := one.click(bob, "confirm", paused, ts)
	require.Equal(t, http.StatusOK, code)
	one.slack.WaitFor("the status read after", threadReply(ts, `is PAUSED after`))
	one.command(alice, "pipeline start billing-agg")
	started, _ := one.card(`billing-agg`)
	stored, err := one.svc.Lookup(context.Background(), paused)
	require.NoError(t, err)
	providerID := stored.Outcome.RequestID
	require.NotEmpty(t, providerID)

	code, ack, _ := two.command(bob, "timeline 1h")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "Working on `timeline 1h`…", ack)
	sections := timelinePosted(two, 1)
	all := strings.Join(sections, "\n")
	assert.Regexp(t, `^\*Timeline of this channel since .*: 2 requests\*$`, sections[0])
	assert.Regexp(t, regexp.MustCompile(`(?s)\*`+paused+`  pipeline pause orders-etl \(p-7d3f9a21\)\*\n`+
		"`EnOS POST [^`]+`\n"+
		`• \S+  asked by <@`+alice+`> via slack\n`+
		`• \S+  confirmed by <@`+bob+`>\n`+
		`• \S+  succeeded: Paused pipeline orders-etl .*request ID `+providerID+`\n`+
		`• \S+  status read after: pipeline orders-etl \(p-7d3f9a21\) is PAUSED`), all)
	assert.Less(t, strings.Index(all, paused), strings.Index(all, started), "in the order they were asked")
	assert.Zero(t, two.slack.Count(slacktest.Containing("response_url", "Timeline")), "one message in the channel, not an answer to bob alone")

	s := two.socketMode()
	s.send(two.slashEnvelope("env-timeline", bob, "timeline"))
	s.ack("env-timeline")
	assert.Contains(t, strings.Join(timelinePosted(two, 2), "\n"), providerID)
}

// A bad span is answered to the person who asked, saying what to write.
func TestTimelineBadSince(t *testing.T) {
	w := newWorld(t)
	w.command(alice, "timeline 8d")
	c := w.slack.WaitFor("the answer", slacktest.Containing("response_url", "at most 7d"))
	assert.Contains(t, c.Text(), "8d is further back than a timeline looks")
	assert.Zero(t, w.slack.Count(slacktest.Method("chat.postMessage")))
}

// A timeline longer than one message keeps its latest requests within
// Block Kit's limits and says how to read them all.
func TestTimelineBlocksStayWithinSlacksLimits(t *testing.T) {
	tl := ops.Timeline{Where: "this channel", Since: time.Now()}
	for i := range 400 {
		tl.Requests = append(tl.Requests, ops.TimelineRequest{ID: "r-" + strings.Repeat("a", 5) + string(rune('a'+i%26)), Op: "pipeline pause",
			Target: ops.Target{Alias: "orders-etl"}, Call: "EnOS POST /x", Steps: []ops.Step{{Time: time.Now(), Text: strings.Repeat("<&> ", 100)}}})
	}
	blocks := timelineBlocks(tl, channel)
	require.Len(t, blocks, maxBlocks)
	raw, err := json.Marshal(blocks)
	require.NoError(t, err)
	assert.Contains(t, string(raw), "bot audit --format markdown --channel "+channel)
	for _, b := range blocks {
		j, _ := json.Marshal(b)
		var sec struct {
			Text struct{ Text string } `json:"text"`
		}
		require.NoError(t, json.Unmarshal(j, &sec))
		assert.LessOrEqual(t, len(sec.Text.Text), maxSectionText)
		assert.NotContains(t, sec.Text.Text, "<&>", "text from outside is escaped")
	}
}
