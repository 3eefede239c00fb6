package slackbot

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slacktest"
)

// answering is a Service that answers every command with text at once, so
// that a benchmark measures the bot and not the product's rules.
type answering struct{}

func (answering) Handle(context.Context, ops.Input) (ops.Reply, error) {
	return ops.Reply{Text: "ok"}, nil
}
func (answering) Confirm(context.Context, string, string) (ops.Request, error) {
	return ops.Request{}, nil
}
func (answering) Cancel(context.Context, string, string) (ops.Request, error) {
	return ops.Request{}, nil
}
func (answering) Undo(context.Context, string, string, ops.Origin) (ops.Reply, error) {
	return ops.Reply{}, nil
}

func (answering) AttachMessage(context.Context, string, string, string) (ops.Request, error) {
	return ops.Request{}, nil
}
func (answering) Operation(string) (ops.Spec, bool)                          { return ops.Spec{}, false }
func (answering) OperationOf(string) (ops.Spec, []string, bool)              { return ops.Spec{}, nil, false }
func (answering) Requestable(context.Context, string, ops.Origin) []ops.Spec { return nil }
func (answering) Choices(context.Context, ops.Spec, string, int) ([]ops.Choice, error) {
	return nil, nil
}
func (answering) Check(context.Context, ops.Input) error { return nil }
func (answering) WaitingFor(context.Context, string) ([]ops.Request, error) {
	return nil, nil
}
func (answering) RecentBy(context.Context, string, int) ([]ops.Request, error) {
	return nil, nil
}

// BenchmarkSlashCommandAck compares, in one run, the whole ack of a slash
// command (verify, decode, queue, answer; the worker asks NATS whether the
// delivery is new) with a handler that only verifies the signature. The
// goal is a ratio of at most 2.
func BenchmarkSlashCommandAck(b *testing.B) {
	nats, err := bus.Connect(context.Background(), bus.Config{Listen: "127.0.0.1:-1", StoreDir: b.TempDir()}, slog.New(slog.DiscardHandler))
	require.NoError(b, err)
	defer nats.Close(context.Background())
	bot := New(answering{}, nil, Config{SigningSecret: secret, Workers: 64, Deliveries: nats.Deliveries()})
	mux := http.NewServeMux()
	bot.Routes(mux)
	verifyOnly := http.NewServeMux() // routed the same way, for a fair comparison
	verifyOnly.Handle("POST /slack/commands", bot.verified(func(w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusOK) }))

	body := func(i int) string {
		return url.Values{
			"team_id": {"T0ACME"}, "channel_id": {channel}, "user_id": {alice}, "command": {"/streamops"},
			"text": {"pipeline pause orders-etl"}, "trigger_id": {fmt.Sprintf("%d.bench", i)},
		}.Encode()
	}
	type pair struct{ full, base *http.Request }
	reqs := make([]pair, b.N)
	now := time.Now()
	for i := range reqs {
		reqs[i] = pair{signed(b, "/slack/commands", body(i), now), signed(b, "/slack/commands", body(i), now)}
	}
	var full, base time.Duration
	b.ResetTimer()
	for i := range reqs {
		start := time.Now()
		verifyOnly.ServeHTTP(httptest.NewRecorder(), reqs[i].base)
		base += time.Since(start)
		start = time.Now()
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, reqs[i].full)
		full += time.Since(start)
		if rec.Code != http.StatusOK {
			b.Fatalf("ack %d: %s", rec.Code, rec.Body)
		}
	}
	b.StopTimer()
	require.NoError(b, bot.Wait(context.Background()))
	b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "verify-ns/op")
	b.ReportMetric(float64(full.Nanoseconds())/float64(b.N), "ack-ns/op")
	b.ReportMetric(float64(full)/float64(base), "ack/verify")
}

// 200 slash commands at once against the real rules, NATS and a fake
// Slack: every one is acknowledged well inside Slack's 3 s.
func TestTwoHundredConcurrentCommandsAreAckedInTime(t *testing.T) {
	w := newWorld(t)
	const n = 200
	took := make([]time.Duration, n)
	answers := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		req := signed(t, w.srv.URL+"/slack/commands", w.commandBody(alice, "pipeline pause orders-etl", fmt.Sprintf("%d.p99", i)), time.Now())
		wg.Go(func() {
			<-start
			t0 := time.Now()
			code, text := doAck(t, req)
			took[i] = time.Since(t0)
			assert.Equal(t, http.StatusOK, code)
			answers[i] = text
		})
	}
	close(start)
	wg.Wait()
	slices.Sort(took)
	p50, p99 := took[n/2], took[n*99/100-1]
	t.Logf("200 concurrent slash commands: p50 %s, p99 %s, max %s (%d workers)", p50, p99, took[n-1], w.bot.cfg.Workers)
	assert.Less(t, p99, 3*time.Second, "p99 of the ack, inside Slack's 3 s even with -race on a busy machine")
	for _, a := range answers {
		assert.Equal(t, "Working on `pipeline pause orders-etl`…", a, "taken, not refused")
	}
	require.NoError(t, w.bot.Wait(t.Context()))
	assert.Equal(t, n, w.slack.Count(func(c slacktest.Call) bool {
		return c.Method == "chat.postMessage" && strings.Contains(c.Form.Get("blocks"), "orders-etl")
	}), "a card for each command")
}
