package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/ops"
)

// listing is a provider whose pipeline list returns n pipelines.
type listing int

func (n listing) Operations() []ops.Spec {
	return []ops.Spec{
		{Name: "pipeline pause", Kind: "pipeline", Usage: "<pipeline>", Execute: func(context.Context, ops.Request) (ops.Outcome, error) { return ops.Outcome{}, nil }},
		{Name: "pipeline list", Lists: "pipeline", Entries: func(context.Context) ([]ops.Entry, error) {
			es := make([]ops.Entry, n)
			for i := range es {
				es[i] = ops.Entry{ID: fmt.Sprintf("p-1%04d", i), Name: fmt.Sprintf("listed-%04d", i), Status: "RUNNING"}
			}
			return es, nil
		}, Read: func(context.Context, ops.Request) (string, error) { return "", nil }},
	}
}

// BenchmarkBlockSuggestion answers the target select's block_suggestion
// with 2,000 targets (1,000 aliases, 1,000 listed by the provider), from
// the payload's bytes to the answer's JSON, against decoding the payload
// alone in the same run. Queries alternate between all (the first 100),
// a few matches and none (both scan every target). The goal is a p99
// under 100 ms.
func BenchmarkBlockSuggestion(b *testing.B) {
	nats, err := bus.Connect(context.Background(), bus.Config{Listen: "127.0.0.1:-1", StoreDir: b.TempDir()}, slog.New(slog.DiscardHandler))
	require.NoError(b, err)
	defer nats.Close(context.Background())
	aliases := map[string]string{}
	for i := range 1000 {
		aliases[fmt.Sprintf("alias-%04d", i)] = fmt.Sprintf("p-0%04d", i)
	}
	svc, err := ops.New(ops.Settings{Expiry: time.Minute, SweepInterval: time.Second, CheckInterval: time.Second, CheckTimeout: time.Second,
		AbandonAfter: time.Minute, TargetWait: time.Second, Targets: ops.Targets{"pipeline": aliases}},
		ops.Deps{Store: nats.Requests(), Claims: nats.Claims(), Events: nats.Events(), Providers: []ops.Provider{listing(1000)}})
	require.NoError(b, err)
	bot := New(svc, nil, Config{Deliveries: nats.Deliveries()})

	queries := []string{"", "-099", "zzz", "listed-05"}
	bodies := make([][]byte, len(queries))
	for i, q := range queries {
		raw, err := json.Marshal(suggestion(alice, `{"channel":"`+channel+`","op":"pipeline pause"}`, q))
		require.NoError(b, err)
		bodies[i] = []byte(url.Values{"payload": {string(raw)}}.Encode())
	}
	ctx := context.Background()
	base, full := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		body := bodies[i%len(bodies)]
		start := time.Now()
		if _, err := decodeInteraction(body); err != nil {
			b.Fatal(err)
		}
		base = append(base, time.Since(start))

		start = time.Now()
		cb, _ := decodeInteraction(body)
		answer, err := json.Marshal(bot.interaction(ctx, "", cb))
		full = append(full, time.Since(start))
		if err != nil || len(answer) < len(`{"options":[]}`) {
			b.Fatalf("answer %s: %v", answer, err)
		}
	}
	b.StopTimer()
	p := func(ds []time.Duration, q float64) float64 {
		slices.Sort(ds)
		return float64(ds[int(q*float64(len(ds)-1))].Microseconds())
	}
	b.ReportMetric(p(full, 0.5), "p50-µs")
	b.ReportMetric(p(full, 0.99), "p99-µs")
	b.ReportMetric(p(base, 0.99), "decode-p99-µs")
	b.ReportMetric(p(full, 0.99)/max(p(base, 0.99), 1), "p99/decode-p99")
}

// builderStub is rules that know one pipeline operation and refuse every
// command, so that fuzzing the builder's payloads makes nothing.
type builderStub struct{ answering }

func (builderStub) Operation(name string) (ops.Spec, bool) {
	spec, ok := listing(3).Operations()[0], name == "pipeline pause"
	return spec, ok
}

func (builderStub) Choices(_ context.Context, _ ops.Spec, query string, limit int) ([]ops.Choice, error) {
	return slices.Repeat([]ops.Choice{{Word: query, Label: query}}, limit+1)[:limit], nil
}

func (builderStub) Check(context.Context, ops.Input) error {
	return ops.InputErrorf("refused by the fuzz target")
}

// Whatever a signed sender puts in a block_suggestion or view_submission,
// the builder neither panics nor answers more than Slack takes: options,
// errors on a block, the next step, or nothing.
func FuzzBuilderPayload(f *testing.F) {
	for _, p := range []string{
		`{"type":"block_suggestion","user":{"id":"U0"},"action_id":"target","value":"ord","view":{"callback_id":"streamops-build","private_metadata":"{\"channel\":\"C0\",\"op\":\"pipeline pause\"}"}}`,
		`{"type":"view_submission","user":{"id":"U0"},"view":{"callback_id":"streamops-pick","private_metadata":"{\"channel\":\"C0\"}","state":{"values":{"op":{"op":{"type":"static_select","selected_option":{"value":"pipeline pause"}}}}}}}`,
		`{"type":"view_submission","user":{"id":"U0"},"view":{"callback_id":"streamops-build","private_metadata":"{\"channel\":\"C0\",\"op\":\"pipeline pause\"}","state":{"values":{"target":{"target":{"selected_option":{"value":"x y\""}}},"flags":{"flags":{"selected_options":[{"value":"now"}]}}}}}}`,
		`{"type":"view_submission","user":{"id":"U0"},"view":{"private_metadata":"null","state":null}}`,
		`{"type":"block_suggestion","user":{"id":"U0"},"view":{"private_metadata":"{\"channel\":1}"}}`,
	} {
		f.Add(url.Values{"payload": {p}}.Encode())
	}
	bot := New(builderStub{}, nil, Config{Deliveries: firstAlways{}})
	f.Fuzz(func(t *testing.T, body string) {
		cb, err := decodeInteraction([]byte(body))
		if err != nil || cb.Type == slack.InteractionTypeBlockActions {
			return // clicks have their own fuzz target
		}
		answer := bot.interaction(context.Background(), "", cb)
		if s, ok := answer.(suggestions); ok && len(s.Options) > maxOptions {
			t.Fatalf("%d options: Slack takes %d", len(s.Options), maxOptions)
		}
		if _, err := json.Marshal(answer); err != nil {
			t.Fatalf("the answer does not encode: %v", err)
		}
	})
}

// firstAlways takes every delivery as new.
type firstAlways struct{}

func (firstAlways) First(context.Context, string) (bool, error) { return true, nil }
