package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/internal/ops"
)

// The limits and defaults that keep a storm cheap, each tested at its edge.

func TestEngineDefaults(t *testing.T) {
	e := NewEngine(nil, nil, nil, nil, Settings{})
	if e.set.UpdateEvery != 2*time.Second || e.set.Quiet != 10*time.Minute || e.now == nil {
		t.Fatalf("defaults %+v", e.set)
	}
	e = NewEngine(nil, nil, nil, nil, Settings{UpdateEvery: time.Millisecond, Quiet: time.Second})
	if e.set.UpdateEvery != time.Millisecond || e.set.Quiet != time.Second {
		t.Fatalf("given settings replaced: %+v", e.set)
	}
}

func TestRememberedMessagesAreBounded(t *testing.T) {
	g := newRig(t, dr())
	ctx := context.Background()
	for n := range maxRecent {
		if err := g.engine.Handle(ctx, "", manyAlerts("firing", n)); err != nil {
			t.Fatal(err)
		}
	}
	if len(g.engine.recent) != maxRecent {
		t.Fatalf("%d messages remembered, want %d", len(g.engine.recent), maxRecent)
	}
	g.engine.Handle(ctx, "", manyAlerts("firing", maxRecent))
	if len(g.engine.recent) != 1 {
		t.Fatalf("%d messages remembered past the bound, want 1 (the memory starts again)", len(g.engine.recent))
	}
}

func TestPartialDeliveriesAreBounded(t *testing.T) {
	g := newRig(t, dr())
	bad := []byte(`{"status":"firing","labels":{"alertname":"KafkaLag","severity":"critical","job_id":"x","dr_address":"y"}}`)
	g.engine.svc = &failOnce{fakeOps: g.ops, job: "never"}
	g.engine.ledger = &downLedger{memLedger: memLedger{m: map[string]ledgerRow{}}, down: true}
	for n := range maxRecent {
		g.engine.Handle(context.Background(), fmt.Sprint(n), bad)
	}
	if len(g.engine.partial) != maxRecent {
		t.Fatalf("%d partial deliveries, want %d", len(g.engine.partial), maxRecent)
	}
	g.engine.Handle(context.Background(), "last", bad)
	if len(g.engine.partial) != 1 {
		t.Fatalf("%d partial deliveries past the bound, want 1", len(g.engine.partial))
	}
	g.engine.Handle(context.Background(), "", bad)
	if len(g.engine.partial) != 1 {
		t.Fatal("a message without a delivery ID is not remembered")
	}
}

func TestQuietPeriodEndsExactly(t *testing.T) {
	g := newRig(t, dr())
	body := []byte(`{"labels":{"alertname":"KafkaLag","severity":"critical","job_id":"orders-dr"}}`)
	g.engine.Handle(context.Background(), "", body)
	g.now = g.now.Add(10*time.Minute - time.Nanosecond)
	g.engine.Handle(context.Background(), "", body)
	if len(g.board.said) != 1 {
		t.Fatalf("reported again within the quiet period: %q", g.board.said)
	}
	g.now = g.now.Add(time.Nanosecond)
	g.engine.Handle(context.Background(), "", body)
	if len(g.board.said) != 2 {
		t.Fatal("not reported again when the quiet period ended")
	}
}

func TestReportNamesTheSourceOnlyWhenThereIsOne(t *testing.T) {
	g := newRig(t, dr())
	g.engine.Handle(context.Background(), "", []byte(`{"labels":{"alertname":"KafkaLag","severity":"critical","job_id":"a"}}`))
	g.engine.Handle(context.Background(), "", []byte(`{"labels":{"alertname":"KafkaLag","severity":"critical","job_id":"b"},"generatorURL":"http://prom/g"}`))
	if len(g.board.said) != 2 || strings.Contains(g.board.said[0], "Source") || !strings.HasSuffix(g.board.said[1], " Source: http://prom/g") {
		t.Fatalf("said %q", g.board.said)
	}
}

// The cooldown runs from when an expired request expired.
func TestCooldownOfAnExpiredRequestRunsFromItsExpiry(t *testing.T) {
	rule := dr()
	rule.Cooldown = 5 * time.Minute
	g := newRig(t, rule)
	g.send(t, "firing", "orders-dr")
	id := g.board.shown[0].ID
	r := g.ops.reqs[id]
	r.State, r.DecidedAt = ops.Expired, g.now.Add(time.Hour) // a decision time an expiry never has
	g.ops.reqs[id] = r
	g.engine.forget("kafka-dr job j-1", id)
	g.checkCooldown(t, r.ExpiresAt.Add(4*time.Minute), r.ExpiresAt.Add(5*time.Minute))
}

// A request gone from the store (long finished) is proposed again.
func TestRequestGoneFromTheStoreIsProposedAgain(t *testing.T) {
	g := newRig(t, dr())
	g.send(t, "firing", "orders-dr")
	g.engine.svc = &goneOps{fakeOps: g.ops}
	g.engine.forget("kafka-dr job j-1", g.board.shown[0].ID)
	g.send(t, "firing", "orders-dr")
	if len(g.board.shown) != 2 {
		t.Fatalf("%d cards, want a new one", len(g.board.shown))
	}
}

// A request that cannot be read now, or that the ID names no request for
// some other reason than being gone, is not taken as gone: nothing is
// proposed again, and the firing is tried again later.
func TestRequestThatCannotBeReadIsNotTakenAsGone(t *testing.T) {
	for _, err := range []error{
		errors.New("nats: timeout"),
		&ops.InputError{Msg: "not a request of this bot"},
	} {
		g := newRig(t, dr())
		g.send(t, "firing", "orders-dr")
		g.engine.svc = &goneOps{g.ops, err}
		g.engine.forget("kafka-dr job j-1", g.board.shown[0].ID)
		body := `{"status":"firing","labels":{"alertname":"KafkaLag","severity":"critical","job_id":"orders-dr","dr_address":"10.0.2.9:9092"}}`
		if got := g.engine.Handle(context.Background(), "", []byte(body)); !errors.Is(got, err) {
			t.Errorf("%v: the firing ended with %v, want it to be tried again", err, got)
		}
		if len(g.board.shown) != 1 {
			t.Errorf("%v: %d cards, want no new one", err, len(g.board.shown))
		}
	}
}

// goneOps answers every Lookup with err; nil: the request is gone, as ops
// says it, wrapped as callers wrap it.
type goneOps struct {
	*fakeOps
	err error
}

func (g *goneOps) Lookup(_ context.Context, id string) (ops.Request, error) {
	if g.err != nil {
		return ops.Request{}, g.err
	}
	return ops.Request{}, fmt.Errorf("reading the ledger's request: %w", &ops.InputError{Msg: "no request " + id, Err: ops.ErrNotFound})
}

func TestFlushForgetsAQuietRequestAfterAnHour(t *testing.T) {
	g := newRig(t, dr())
	g.send(t, "firing", "orders-dr")
	g.engine.Flush(context.Background())
	g.now = g.now.Add(forgetAfter)
	g.engine.Flush(context.Background())
	if len(g.engine.open) != 1 {
		t.Fatal("forgotten at the hour, not after it")
	}
	g.now = g.now.Add(time.Nanosecond)
	g.engine.Flush(context.Background())
	if len(g.engine.open) != 0 {
		t.Fatal("not forgotten after an hour of quiet")
	}
}

func TestFlushKeepsARequestThatFiredLately(t *testing.T) {
	g := newRig(t, dr())
	g.send(t, "firing", "orders-dr")
	g.now = g.now.Add(2 * forgetAfter)
	g.engine.open["kafka-dr job j-1"].last = g.now.Add(-forgetAfter)
	g.engine.Flush(context.Background())
	if len(g.engine.open) != 1 {
		t.Fatal("a request that fired an hour ago, not more, was forgotten")
	}
}

// Firings counted while another replica makes the request wait for it,
// then go on its card; a request that was refused takes none.
func TestFiringsCountedForAnotherReplicasRequest(t *testing.T) {
	g := newRig(t, dr())
	ctx := context.Background()
	key := "kafka-dr job j-1"
	g.engine.ledger.Put(ctx, key, Entry{At: g.now}, 0) // another replica's claim
	g.send(t, "firing", "orders-dr")
	g.send(t, "firing", "orders-dr")
	if len(g.board.shown) != 0 {
		t.Fatal("proposed while another replica makes the request")
	}
	g.engine.Flush(ctx)
	if t0 := g.engine.open[key]; t0 == nil || t0.unflushed != 2 {
		t.Fatalf("firings not kept while the request is made: %+v", t0)
	}
	other, _ := g.ops.Handle(ctx, ops.Input{Text: "job switch orders-dr", Alert: &ops.Alert{Fired: 1}})
	_, rev, _ := g.engine.ledger.Get(ctx, key)
	g.engine.ledger.Put(ctx, key, Entry{Request: other.Request.ID, At: g.now}, rev)
	g.engine.Flush(ctx)
	if got := g.ops.reqs[other.Request.ID].Alert.Fired; got != 3 {
		t.Fatalf("fired %d, want 3", got)
	}
	if g.engine.open[key].id != other.Request.ID {
		t.Fatal("the request's ID is not remembered")
	}
	g.send(t, "firing", "orders-dr")
	_, rev, _ = g.engine.ledger.Get(ctx, key)
	g.engine.open[key].id = ""
	g.engine.ledger.Put(ctx, key, Entry{Refused: "no", At: g.now}, rev)
	g.engine.Flush(ctx)
	if _, ok := g.engine.open[key]; ok {
		t.Fatal("firings for a refused command are kept")
	}
}

// A stale claim (its replica stopped) is made here.
func TestStaleClaimIsMadeHere(t *testing.T) {
	g := newRig(t, dr())
	g.engine.ledger.Put(context.Background(), "kafka-dr job j-1", Entry{At: g.now.Add(-claimTimeout)}, 0)
	g.send(t, "firing", "orders-dr")
	if len(g.board.shown) != 1 {
		t.Fatal("a stale claim kept the alert from proposing")
	}
}

// A request this replica could not make reads as stale to the others at
// once, so the next one to see the alert makes it.
func TestUnmadeRequestIsMadeByAnotherReplica(t *testing.T) {
	rules, _ := Compile([]Rule{dr()}, channels)
	now := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ledger := &downLedger{memLedger: memLedger{m: map[string]ledgerRow{}}}
	fake := &fakeOps{now: clock, reqs: map[string]ops.Request{}}
	a := NewEngine(rules, &failOnce{fakeOps: fake, job: "orders-dr"}, &recordBoard{}, ledger, Settings{}, WithClock(clock))
	board := &recordBoard{}
	b := NewEngine(rules, fake, board, ledger, Settings{}, WithClock(clock))
	body := []byte(`{"status":"firing","labels":{"alertname":"KafkaLag","severity":"critical","job_id":"orders-dr","dr_address":"10.0.2.9:9092"}}`)
	if err := a.Handle(context.Background(), "", body); err == nil {
		t.Fatal("the failure is not reported")
	}
	if err := b.Handle(context.Background(), "", body); err != nil {
		t.Fatal(err)
	}
	if len(board.shown) != 1 {
		t.Fatal("the other replica did not make the request")
	}
}

// Firings counted before a resolution go on the request it cancels.
func TestFiringsBeforeAResolutionAreCounted(t *testing.T) {
	g := newRig(t, dr())
	for range 3 {
		g.send(t, "firing", "orders-dr")
	}
	id := g.board.shown[0].ID
	a := *g.ops.reqs[id].Alert
	g.send(t, "resolved", "orders-dr")
	if r := g.ops.reqs[id]; r.State != ops.Cancelled || r.Alert.Fired != a.Fired+2 {
		t.Fatalf("%s, fired %d", r.State, r.Alert.Fired)
	}
}

// A resolution while another replica makes the request comes again; one
// for a refused command or an unknown key does nothing.
func TestResolutionWhileTheRequestIsMade(t *testing.T) {
	g := newRig(t, dr())
	ctx := context.Background()
	key := "kafka-dr job j-1"
	body := []byte(`{"status":"resolved","labels":{"alertname":"KafkaLag","severity":"critical","job_id":"orders-dr","dr_address":"10.0.2.9:9092"}}`)
	if err := g.engine.Handle(ctx, "", body); err != nil {
		t.Fatalf("a resolution with nothing open: %v", err)
	}
	g.engine.ledger.Put(ctx, key, Entry{At: g.now}, 0)
	if err := g.engine.Handle(ctx, "", body); err == nil {
		t.Fatal("a resolution while the request is made must come again")
	}
	g.now = g.now.Add(claimTimeout)
	if err := g.engine.Handle(ctx, "", body); err != nil {
		t.Fatalf("a stale claim: %v", err)
	}
}

// countingLedger fails every write with ErrChanged, as a ledger other
// replicas keep changing would.
type changingLedger struct{ memLedger }

func (l *changingLedger) Put(context.Context, string, Entry, uint64) (uint64, error) {
	return 0, ErrChanged
}

func TestALedgerThatKeepsChangingIsTriedAgainLater(t *testing.T) {
	g := newRig(t, dr())
	g.engine.ledger = &changingLedger{memLedger{m: map[string]ledgerRow{}}}
	err := g.engine.Handle(context.Background(), "", manyAlerts("firing", 1))
	if err == nil || !strings.Contains(err.Error(), "kept changing") {
		t.Fatalf("got %v", err)
	}
}

// failingAdds fails AddFirings as NATS away would.
type failingAdds struct{ *fakeOps }

func (f *failingAdds) AddFirings(context.Context, string, int, time.Time) (ops.Request, error) {
	return ops.Request{}, errors.New("nats: timeout")
}

func TestFiringsThatCouldNotBeStoredKeepTheRequestOpen(t *testing.T) {
	g := newRig(t, dr())
	g.send(t, "firing", "orders-dr")
	g.send(t, "firing", "orders-dr")
	g.engine.svc = &failingAdds{g.ops}
	g.engine.Flush(context.Background())
	if _, ok := g.engine.open["kafka-dr job j-1"]; !ok {
		t.Fatal("a request whose firings could not be stored was forgotten")
	}
}

// ledgerRacedWhileMade has another replica add an alert while the request
// is being made.
type ledgerRacedWhileMade struct {
	memLedger
	raced bool
}

func (l *ledgerRacedWhileMade) Put(ctx context.Context, key string, e Entry, rev uint64) (uint64, error) {
	if e.Request != "" && !l.raced {
		l.raced = true
		cur, curRev, _ := l.memLedger.Get(ctx, key)
		cur.Firing = append(cur.Firing, "other")
		l.memLedger.Put(ctx, key, cur, curRev)
	}
	return l.memLedger.Put(ctx, key, e, rev)
}

func TestAlertsAddedWhileTheRequestIsMadeAreKept(t *testing.T) {
	g := newRig(t, dr())
	ledger := &ledgerRacedWhileMade{memLedger: memLedger{m: map[string]ledgerRow{}}}
	g.engine.ledger = ledger
	g.send(t, "firing", "orders-dr")
	e, _, _ := ledger.Get(context.Background(), "kafka-dr job j-1")
	if e.Request == "" || len(e.Firing) != 2 {
		t.Fatalf("entry %+v, want the request and both alerts", e)
	}
}

func TestRangesNestTwoDeep(t *testing.T) {
	ok := []string{
		"pipeline pause {{ range .Labels }}{{ range $.Annotations }}x{{ end }}{{ end }}",
		"pipeline pause {{ range $.Labels }}{{ end }}p",
		"pipeline pause {{ range .Annotations }}{{ else }}p{{ end }}",
	}
	bad := []string{
		"pipeline pause {{ if .Labels }}{{ range 5 }}{{ end }}{{ end }}",
		"pipeline pause {{ if .Labels }}{{ else }}{{ range 5 }}{{ end }}{{ end }}",
		"pipeline pause {{ with .Labels }}{{ range 5 }}{{ end }}{{ end }}",
		"pipeline pause {{ with .Labels }}{{ else }}{{ range 5 }}{{ end }}{{ end }}",
		"pipeline pause {{ range .Labels }}{{ else }}{{ range 5 }}{{ end }}{{ end }}",
		"pipeline pause {{ range .Labels }}{{ range 5 }}{{ end }}{{ end }}",
		"pipeline pause {{ $x := .Labels }}{{ range $x }}{{ end }}",
		"pipeline pause {{ range $.Labels.x }}{{ end }}",
		"pipeline pause {{ range .Status }}{{ end }}",
		"pipeline pause {{ range .Labels | len }}{{ end }}",
		"pipeline pause {{ range $ }}{{ end }}",
	}
	for _, text := range ok {
		if _, err := Compile([]Rule{{Name: "r", Match: map[string]string{"a": "b"}, Command: text, Channel: "incidents"}}, channels); err != nil {
			t.Errorf("%s: %v", text, err)
		}
	}
	for _, text := range bad {
		if _, err := Compile([]Rule{{Name: "r", Match: map[string]string{"a": "b"}, Command: text, Channel: "incidents"}}, channels); err == nil {
			t.Errorf("%s: accepted", text)
		}
	}
}

func TestCommandLengthIsBoundedExactly(t *testing.T) {
	var l limited
	if _, err := l.Write([]byte(strings.Repeat("a", maxCommand-1))); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Write([]byte("b")); err != nil {
		t.Fatalf("a command of exactly %d characters: %v", maxCommand, err)
	}
	if _, err := l.Write([]byte("c")); err == nil {
		t.Fatal("one character over the limit was taken")
	}
	if l.b.Len() != maxCommand {
		t.Fatalf("%d characters kept", l.b.Len())
	}
}

func TestLabelCountIsBoundedExactly(t *testing.T) {
	body := func(labels, annotations int) []byte {
		l, a := []string{`"alertname":"X"`}, []string{}
		for i := 1; i < labels; i++ {
			l = append(l, fmt.Sprintf(`"l%d":"v"`, i))
		}
		for i := range annotations {
			a = append(a, fmt.Sprintf(`"a%d":"v"`, i))
		}
		return fmt.Appendf(nil, `{"labels":{%s},"annotations":{%s}}`, strings.Join(l, ","), strings.Join(a, ","))
	}
	if _, err := Decode(body(maxLabels, maxLabels)); err != nil {
		t.Fatalf("%d labels and annotations: %v", maxLabels, err)
	}
	for _, b := range [][]byte{body(maxLabels+1, 0), body(1, maxLabels+1)} {
		if _, err := Decode(b); err == nil {
			t.Fatal("one label or annotation over the limit was taken")
		}
	}
}

func TestDecodeNamesTheBadAlertOfMany(t *testing.T) {
	_, err := Decode([]byte(`{"version":"4","alerts":[{"labels":{"a":"b"}},{"labels":{}}]}`))
	if err == nil || !strings.Contains(err.Error(), "alert 2: it has no labels") {
		t.Fatalf("got %v", err)
	}
	_, err = Decode([]byte(`{"version":"4","alerts":[{"labels":{}}]}`))
	if err == nil || err.Error() != "not an alert: it has no labels" {
		t.Fatalf("one alert: %v", err)
	}
	_, err = DecodeWebhook([]byte(`{"version":"4","alerts":[{"labels":{"a":"b"}},{"labels":{"a":"b"},"status":"odd"}]}`))
	if err == nil || !strings.Contains(err.Error(), `alert 2: status "odd"`) {
		t.Fatalf("webhook: %v", err)
	}
	for body, want := range map[string]string{
		`{"version":"3","alerts":[{"labels":{"a":"b"}}]}`: `version "3"`,
		`{"version":"4","alerts":[]}`:                     "no alerts",
		`not json`:                                        "invalid Alertmanager webhook body",
		fmt.Sprintf(`{"version":"4","alerts":[%s]}`, strings.TrimSuffix(strings.Repeat(`{"labels":{"a":"b"}},`, maxAlerts+1), ",")): "1001 alerts in one message",
	} {
		if _, err := DecodeWebhook([]byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.40s: %v, want %q", body, err, want)
		}
	}
	if _, err := DecodeWebhook([]byte(fmt.Sprintf(`{"version":"4","alerts":[%s]}`, strings.TrimSuffix(strings.Repeat(`{"labels":{"a":"b"}},`, maxAlerts), ",")))); err != nil {
		t.Fatalf("%d alerts: %v", maxAlerts, err)
	}
}

// refusingOps refuses the job "nowhere" and finds nothing to do for "calm".
type refusingOps struct{ *fakeOps }

func (f *refusingOps) Handle(ctx context.Context, in ops.Input) (ops.Reply, error) {
	switch {
	case strings.Contains(in.Text, "nowhere"):
		return ops.Reply{}, &ops.InputError{Msg: "no job nowhere"}
	case strings.Contains(in.Text, "calm"):
		return ops.Reply{Text: "it is already on its sink"}, nil
	}
	return f.fakeOps.Handle(ctx, in)
}

func TestRefusedCommandIsReportedOncePerQuiet(t *testing.T) {
	g := newRig(t, dr())
	m := g.withMetrics()
	g.engine.svc = &refusingOps{g.ops}
	for range 3 {
		g.send(t, "firing", "nowhere")
		g.send(t, "firing", "calm")
	}
	if len(g.board.said) != 2 || len(g.board.shown) != 0 || m.get(Refused) != 2 {
		t.Fatalf("said %q, metrics %v", g.board.said, m.n)
	}
	if !strings.Contains(g.board.said[0], "`job switch nowhere sink=10.0.2.9:9092 now` was refused: no job nowhere") ||
		!strings.Contains(g.board.said[1], "changes nothing, so there is nothing to confirm: it is already on its sink") {
		t.Fatalf("said %q", g.board.said)
	}
	if _, said := g.fireAt(t, g.now.Add(10*time.Minute), "nowhere"); said != 3 {
		t.Fatal("not reported again after the quiet period")
	}
}

func TestResolvedAlertWithoutACommandIsIgnored(t *testing.T) {
	g := newRig(t, dr())
	if err := g.engine.Handle(context.Background(), "", []byte(`{"status":"resolved","labels":{"alertname":"KafkaLag","severity":"critical"}}`)); err != nil {
		t.Fatal(err)
	}
	if len(g.board.said) != 0 {
		t.Fatalf("said %q", g.board.said)
	}
}

func TestRunFlushesWhenItStops(t *testing.T) {
	g := newRig(t, dr())
	g.send(t, "firing", "orders-dr")
	g.send(t, "firing", "orders-dr")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.engine.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := g.fired(0); got != 2 {
		t.Fatalf("fired %d after Run stopped, want 2", got)
	}
}

// countingLedger counts reads.
type countingLedger struct {
	memLedger
	gets int
}

func (l *countingLedger) Get(ctx context.Context, key string) (Entry, uint64, error) {
	l.gets++
	return l.memLedger.Get(ctx, key)
}

// Once an alert is among those holding a request, its firings read no
// ledger; a successful delivery is not remembered.
func TestHeldAlertsFireWithoutReadingTheLedger(t *testing.T) {
	g := newRig(t, dr())
	ledger := &countingLedger{memLedger: memLedger{m: map[string]ledgerRow{}}}
	g.engine.ledger = ledger
	ctx := context.Background()
	g.engine.Handle(ctx, "1", manyAlerts("firing", 0))
	g.engine.Handle(ctx, "2", manyAlerts("firing", 1))
	gets := ledger.gets
	for range 10 {
		g.engine.Handle(ctx, "3", manyAlerts("firing", 1))
	}
	if ledger.gets != gets || len(g.engine.partial) != 0 {
		t.Fatalf("%d ledger reads for 10 firings of a held alert; %d deliveries remembered", ledger.gets-gets, len(g.engine.partial))
	}
	g.engine.Handle(ctx, "", manyAlerts("resolved", 1))
	if g.engine.open["kafka-dr job j-1"].held[fingerprint(map[string]string{"alertname": "KafkaLag", "severity": "critical", "job_id": "orders-dr", "dr_address": "10.0.2.9:9092", "n": "1"})] {
		t.Fatal("a resolved alert is still held here")
	}
	g.engine.Flush(ctx)
	if g.board.refreshed != 1 {
		t.Fatalf("%d card refreshes, want 1 for the firings", g.board.refreshed)
	}
	g.engine.Handle(ctx, "", manyAlerts("resolved", 0))
	if g.board.refreshed != 1 {
		t.Fatal("a resolution with no new firings refreshed the card")
	}
}

func TestEngineLogsWhatItDid(t *testing.T) {
	rule := dr()
	rule.Cooldown = 5 * time.Minute
	g := newRig(t, rule)
	var log strings.Builder
	g.engine.log = slog.New(slog.NewTextHandler(&log, nil))
	g.engine.svc = &refusingOps{g.ops}
	g.send(t, "firing", "nowhere")
	g.send(t, "firing", "orders-dr")
	g.send(t, "resolved", "orders-dr")
	g.fireAt(t, g.now.Add(time.Minute), "orders-dr")
	for _, want := range []string{"alert proposed nothing", "alert proposed a request", "alert resolved; its request is cancelled", "cooldown_left=4m0s"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("no %q in the log:\n%s", want, log.String())
		}
	}
	if strings.Contains(log.String(), "level=WARN msg=\"could not note") {
		t.Errorf("the ledger took every write, yet:\n%s", log.String())
	}
}

// ctxOps refuses work on a context already done, as NATS calls do.
type ctxOps struct{ *fakeOps }

func (f *ctxOps) AddFirings(ctx context.Context, id string, n int, at time.Time) (ops.Request, error) {
	if err := ctx.Err(); err != nil {
		return ops.Request{}, err
	}
	return f.fakeOps.AddFirings(ctx, id, n, at)
}

func TestRunsLastFlushHasTimeToWork(t *testing.T) {
	g := newRig(t, dr())
	g.engine.svc = &ctxOps{g.ops}
	g.send(t, "firing", "orders-dr")
	g.send(t, "firing", "orders-dr")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g.engine.Run(ctx)
	if got := g.fired(0); got != 2 {
		t.Fatalf("fired %d, want 2", got)
	}
}

func TestFlushWaitsForAClaimUntilItIsStale(t *testing.T) {
	g := newRig(t, dr())
	ctx := context.Background()
	key := "kafka-dr job j-1"
	g.engine.ledger.Put(ctx, key, Entry{At: g.now}, 0)
	g.send(t, "firing", "orders-dr")
	g.now = g.now.Add(claimTimeout - time.Nanosecond)
	g.engine.Flush(ctx)
	if g.engine.open[key] == nil {
		t.Fatal("firings dropped while the claim is fresh")
	}
	g.now = g.now.Add(time.Nanosecond)
	g.engine.Flush(ctx)
	if g.engine.open[key] != nil {
		t.Fatal("firings kept for a stale claim")
	}
}

func TestForgetDropsOnlyThatRequest(t *testing.T) {
	g := newRig(t, dr())
	g.engine.open["a"] = &tracked{id: "r-1"}
	g.engine.open["b"] = &tracked{}
	g.engine.forget("a", "r-2")
	g.engine.forget("b", "r-2")
	if g.engine.open["a"] == nil || g.engine.open["b"] != nil {
		t.Fatalf("open %v", g.engine.open)
	}
	g.engine.forget("a", "r-1")
	if g.engine.open["a"] != nil {
		t.Fatal("not forgotten")
	}
}

func TestMatcherThatMatchesNothingIsNamed(t *testing.T) {
	_, err := Compile([]Rule{{Name: "r", Matchers: []string{"{}"}, Command: "pipeline pause x", Channel: "incidents"}}, channels)
	if err == nil || !strings.Contains(err.Error(), `rules[0] (r).matchers[0]: "{}" is not an Alertmanager matcher (it matches nothing)`) {
		t.Fatalf("got %v", err)
	}
}
