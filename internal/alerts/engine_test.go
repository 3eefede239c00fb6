package alerts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamops/streamops/internal/ops"
)

// memLedger is Ledger in memory.
type memLedger struct {
	mu sync.Mutex
	m  map[string]ledgerRow
}

type ledgerRow struct {
	e   Entry
	rev uint64
}

func (l *memLedger) Get(_ context.Context, key string) (Entry, uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.m[key]
	return r.e, r.rev, nil
}

func (l *memLedger) Put(_ context.Context, key string, e Entry, rev uint64) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m[key].rev != rev {
		return 0, ErrChanged
	}
	l.m[key] = ledgerRow{e, rev + 1}
	return rev + 1, nil
}

// fakeOps keeps requests in memory with the states ops gives them.
type fakeOps struct {
	mu   sync.Mutex
	now  func() time.Time
	reqs map[string]ops.Request
}

func (f *fakeOps) Handle(_ context.Context, in ops.Input) (ops.Reply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := *in.Alert
	r := ops.Request{ID: fmt.Sprintf("r-%06x", len(f.reqs)+1), Text: in.Text, State: ops.Pending, Origin: in.Origin, Alert: &a, ExpiresAt: f.now().Add(10 * time.Minute)}
	f.reqs[r.ID] = r
	return ops.Reply{Request: &r}, nil
}

// TargetOf resolves the third word: orders-dr is an alias of job j-1.
func (f *fakeOps) TargetOf(text string) (ops.Target, error) {
	c, err := ops.ParseCommand(text)
	if err != nil || len(c.Words) < 3 {
		return ops.Target{}, err
	}
	id := c.Words[2]
	if id == "orders-dr" {
		id = "j-1"
	}
	return ops.Target{Kind: c.Words[0], ID: id}, nil
}

func (f *fakeOps) Lookup(_ context.Context, id string) (ops.Request, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[id], nil
}

func (f *fakeOps) AddFirings(_ context.Context, id string, n int, at time.Time) (ops.Request, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.reqs[id]
	if r.State != ops.Pending || !f.now().Before(r.ExpiresAt) {
		return r, ops.ErrNotPending
	}
	a := *r.Alert
	a.Fired += n
	r.Alert = &a
	f.reqs[id] = r
	return r, nil
}

func (f *fakeOps) Resolve(_ context.Context, id string) (ops.Request, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.reqs[id]
	if r.State != ops.Pending {
		return r, ops.ErrNotPending
	}
	r.State, r.DecidedAt = ops.Cancelled, f.now()
	f.reqs[id] = r
	return r, nil
}

type recordBoard struct {
	mu        sync.Mutex
	shown     []ops.Request
	said      []string
	refreshed int
}

func (b *recordBoard) ShowCard(_ context.Context, r ops.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.shown = append(b.shown, r)
}
func (b *recordBoard) RefreshCard(context.Context, ops.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refreshed++
}
func (b *recordBoard) Say(_ context.Context, _, text string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.said = append(b.said, text)
}

type rig struct {
	engine *Engine
	ops    *fakeOps
	board  *recordBoard
	now    time.Time
}

func newRig(t *testing.T, rule Rule) *rig {
	t.Helper()
	rules, err := Compile([]Rule{rule}, channels)
	if err != nil {
		t.Fatal(err)
	}
	g := &rig{board: &recordBoard{}, now: time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return g.now }
	g.ops = &fakeOps{now: clock, reqs: map[string]ops.Request{}}
	g.engine = NewEngine(rules, g.ops, g.board, &memLedger{m: map[string]ledgerRow{}}, Settings{}, WithClock(clock))
	return g
}

func (g *rig) send(t *testing.T, status, job string) {
	t.Helper()
	body := fmt.Sprintf(`{"status":%q,"labels":{"alertname":"KafkaLag","severity":"critical","job_id":%q,"dr_address":"10.0.2.9:9092"}}`, status, job)
	if err := g.engine.Handle(context.Background(), "", []byte(body)); err != nil {
		t.Fatal(err)
	}
}

// fireAt sends a firing for job at `at`, and returns how many cards and
// reports there are then.
func (g *rig) fireAt(t *testing.T, at time.Time, job string) (cards, said int) {
	t.Helper()
	g.now = at
	g.send(t, "firing", job)
	return len(g.board.shown), len(g.board.said)
}

// checkCooldown checks that orders-dr firing at `within` proposes nothing
// and firing at `after` proposes again.
func (g *rig) checkCooldown(t *testing.T, within, after time.Time) {
	t.Helper()
	if cards, _ := g.fireAt(t, within, "orders-dr"); cards != 1 {
		t.Fatalf("a firing within the cooldown proposed again (%d cards)", cards)
	}
	if cards, _ := g.fireAt(t, after, "orders-dr"); cards != 2 {
		t.Fatal("a firing after the cooldown proposed nothing")
	}
}

// fired is the count of firings on card i.
func (g *rig) fired(i int) int { return g.ops.reqs[g.board.shown[i].ID].Alert.Fired }

func TestStormCountsOnOneRequest(t *testing.T) {
	g := newRig(t, dr())
	for range 1000 {
		g.send(t, "firing", "orders-dr")
	}
	g.send(t, "firing", "billing-dr")
	g.engine.Flush(context.Background())
	if len(g.board.shown) != 2 {
		t.Fatalf("%d cards, want 2", len(g.board.shown))
	}
	if got := g.fired(0); got != 1000 {
		t.Fatalf("fired %d, want 1000", got)
	}
	if g.board.shown[0].Origin != (ops.Origin{Frontend: "alert", Channel: "C0INCIDENT"}) {
		t.Fatalf("origin %+v", g.board.shown[0].Origin)
	}
}

func TestCooldownAfterTheRequestEnds(t *testing.T) {
	rule := dr()
	rule.Cooldown = 5 * time.Minute
	g := newRig(t, rule)
	g.send(t, "firing", "orders-dr")
	g.send(t, "resolved", "orders-dr")
	if r := g.ops.reqs[g.board.shown[0].ID]; r.State != ops.Cancelled {
		t.Fatalf("resolved alert left its request %s", r.State)
	}
	ended := g.now.Add(5 * time.Minute) // the cooldown, exactly
	g.checkCooldown(t, ended.Add(-time.Nanosecond), ended)
}

func TestExpiredRequestIsProposedAgain(t *testing.T) {
	g := newRig(t, dr())
	g.send(t, "firing", "orders-dr")
	g.now = g.now.Add(11 * time.Minute) // past the expiry
	g.send(t, "firing", "orders-dr")
	g.engine.Flush(context.Background()) // finds it expired, forgets it
	g.send(t, "firing", "orders-dr")
	if len(g.board.shown) != 2 {
		t.Fatalf("%d cards, want a new one after the expiry", len(g.board.shown))
	}
}

func TestUnrenderableAlertIsReportedOncePerQuiet(t *testing.T) {
	g := newRig(t, dr())
	body := `{"labels":{"alertname":"KafkaLag","severity":"critical","job_id":"orders-dr"}}` // no dr_address
	for range 50 {
		if err := g.engine.Handle(context.Background(), "", []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if len(g.board.said) != 1 || len(g.board.shown) != 0 {
		t.Fatalf("said %q, %d cards", g.board.said, len(g.board.shown))
	}
	g.now = g.now.Add(11 * time.Minute)
	g.engine.Handle(context.Background(), "", []byte(body))
	if len(g.board.said) != 2 {
		t.Fatal("after the quiet period the report comes again")
	}
}

// downLedger fails every write while down, as NATS gone away would.
type downLedger struct {
	memLedger
	down bool
}

func (l *downLedger) Put(ctx context.Context, key string, e Entry, rev uint64) (uint64, error) {
	if l.down {
		return 0, errors.New("nats: outbound buffer limit exceeded")
	}
	return l.memLedger.Put(ctx, key, e, rev)
}

// failingOps fails Handle once, taking the ledger down with it: NATS went
// away between the ledger's claim and the request.
type failingOps struct {
	*fakeOps
	ledger *downLedger
	fail   bool
}

func (f *failingOps) Handle(ctx context.Context, in ops.Input) (ops.Reply, error) {
	if f.fail {
		f.ledger.down = true
		return ops.Reply{}, errors.New("could not store the request in NATS")
	}
	return f.fakeOps.Handle(ctx, in)
}

// An alert whose request could not be made while NATS was away is made when
// it comes again, not counted on a request nobody made.
func TestAlertWhoseRequestWasNotMadeIsProposedWhenItComesAgain(t *testing.T) {
	rules, err := Compile([]Rule{dr()}, channels)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ledger := &downLedger{memLedger: memLedger{m: map[string]ledgerRow{}}}
	svc := &failingOps{fakeOps: &fakeOps{now: clock, reqs: map[string]ops.Request{}}, ledger: ledger, fail: true}
	board := &recordBoard{}
	engine := NewEngine(rules, svc, board, ledger, Settings{}, WithClock(clock))
	body := []byte(`{"status":"firing","labels":{"alertname":"KafkaLag","severity":"critical","job_id":"orders-dr","dr_address":"10.0.2.9:9092"}}`)

	if err := engine.Handle(context.Background(), "", body); err == nil {
		t.Fatal("the failed proposal must be handled again")
	}
	svc.fail, ledger.down = false, false // NATS is back
	now = now.Add(30 * time.Second)      // redelivered within the claim's minute
	if err := engine.Handle(context.Background(), "", body); err != nil {
		t.Fatal(err)
	}
	if len(board.shown) != 1 {
		t.Fatalf("%d cards, want the one the first delivery could not make", len(board.shown))
	}
}

// countMetrics counts each outcome.
type countMetrics struct {
	mu sync.Mutex
	n  map[string]int
}

func (m *countMetrics) Alert(outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n[outcome]++
}

func (m *countMetrics) get(outcome string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n[outcome]
}

func (g *rig) withMetrics() *countMetrics {
	m := &countMetrics{n: map[string]int{}}
	g.engine.set.Metrics = m
	return m
}

// An alert naming the job by its alias and another by its ID share a card.
func TestAliasAndIDOfOneTargetShareACard(t *testing.T) {
	g := newRig(t, dr())
	for _, job := range []string{"orders-dr", "j-1", "j-2"} {
		g.send(t, "firing", job)
	}
	g.engine.Flush(context.Background())
	if cards, fired := len(g.board.shown), g.fired(0); cards != 2 || fired != 2 {
		t.Fatalf("%d cards, fired %d: want one card for j-1 (by alias and by ID, fired twice) and one for j-2", cards, fired)
	}
}

// manyAlerts is alert n of many distinct alerts on one rule and target.
func manyAlerts(status string, n int) []byte {
	return fmt.Appendf(nil, `{"status":%q,"labels":{"alertname":"KafkaLag","severity":"critical","job_id":"orders-dr","dr_address":"10.0.2.9:9092","n":"%d"}}`, status, n)
}

// A request many alerts hold is cancelled when the last of them resolves,
// not the first.
func TestRequestIsCancelledWhenItsLastAlertResolves(t *testing.T) {
	g := newRig(t, dr())
	m := g.withMetrics()
	ctx := context.Background()
	for n := range 200 {
		if err := g.engine.Handle(ctx, "", manyAlerts("firing", n)); err != nil {
			t.Fatal(err)
		}
	}
	if len(g.board.shown) != 1 {
		t.Fatalf("%d cards, want 1", len(g.board.shown))
	}
	id := g.board.shown[0].ID
	for n := range 199 {
		if err := g.engine.Handle(ctx, "", manyAlerts("resolved", n)); err != nil {
			t.Fatal(err)
		}
		if g.ops.reqs[id].State != ops.Pending {
			t.Fatalf("cancelled when alert %d of 200 resolved", n)
		}
	}
	g.engine.Handle(ctx, "", manyAlerts("resolved", 0)) // again: it holds nothing now
	if g.ops.reqs[id].State != ops.Pending {
		t.Fatal("a resolution seen twice cancelled the request")
	}
	if err := g.engine.Handle(ctx, "", manyAlerts("resolved", 199)); err != nil {
		t.Fatal(err)
	}
	if g.ops.reqs[id].State != ops.Cancelled {
		t.Fatalf("the last alert resolved, the request is %s", g.ops.reqs[id].State)
	}
	if m.get(Received) != 401 || m.get(Proposed) != 1 || m.get(Deduplicated) != 199 || m.get(Cancelled) != 1 {
		t.Fatalf("metrics %v", m.n)
	}
}

// Past maxFiring alerts, the entry stops listing them and no resolution
// cancels the request: a person or the expiry ends it.
func TestTooManyAlertsLeaveTheRequestToAPerson(t *testing.T) {
	g := newRig(t, dr())
	ctx := context.Background()
	for n := range maxFiring + 1 {
		if err := g.engine.Handle(ctx, "", manyAlerts("firing", n)); err != nil {
			t.Fatal(err)
		}
	}
	id := g.board.shown[0].ID
	for n := range maxFiring + 1 {
		g.engine.Handle(ctx, "", manyAlerts("resolved", n))
	}
	if g.ops.reqs[id].State != ops.Pending {
		t.Fatalf("the request is %s", g.ops.reqs[id].State)
	}
	entry, _, _ := g.engine.ledger.Get(ctx, "kafka-dr job j-1")
	if !entry.Many || len(entry.Firing) != 0 {
		t.Fatalf("entry keeps %d alerts, many %v", len(entry.Firing), entry.Many)
	}
}

// failOnce fails Handle for one job once, as NATS going away would.
type failOnce struct {
	*fakeOps
	job string
}

func (f *failOnce) Handle(ctx context.Context, in ops.Input) (ops.Reply, error) {
	if f.job != "" && strings.Contains(in.Text, f.job) {
		f.job = ""
		return ops.Reply{}, errors.New("could not store the request in NATS")
	}
	return f.fakeOps.Handle(ctx, in)
}

// A message redelivered after some of its alerts failed counts the others
// once.
func TestRedeliveryCountsEachAlertOnce(t *testing.T) {
	g := newRig(t, dr())
	svc := &failOnce{fakeOps: g.ops, job: "billing-dr"}
	g.engine.svc = svc
	ctx := context.Background()
	g.send(t, "firing", "orders-dr")
	two := `{"version":"4","alerts":[
{"status":"firing","labels":{"alertname":"KafkaLag","severity":"critical","job_id":"orders-dr","dr_address":"10.0.2.9:9092"}},
{"status":"firing","labels":{"alertname":"KafkaLag","severity":"critical","job_id":"billing-dr","dr_address":"10.0.2.9:9092"}}]}`
	if err := g.engine.Handle(ctx, "42", []byte(two)); err == nil {
		t.Fatal("the failed alert must come again")
	}
	g.now = g.now.Add(2 * claimTimeout) // the failed claim is stale
	if err := g.engine.Handle(ctx, "42", []byte(two)); err != nil {
		t.Fatal(err)
	}
	g.engine.Flush(ctx)
	if len(g.board.shown) != 2 {
		t.Fatalf("%d cards, want 2", len(g.board.shown))
	}
	if got := g.ops.reqs[g.board.shown[0].ID].Alert.Fired; got != 2 {
		t.Fatalf("orders-dr fired %d times, want 2: the redelivery counted it again", got)
	}
	if err := g.engine.Handle(ctx, "43", []byte(two)); err != nil {
		t.Fatal(err)
	}
	g.engine.Flush(ctx)
	if got := g.ops.reqs[g.board.shown[0].ID].Alert.Fired; got != 3 {
		t.Fatalf("another message counts again: fired %d, want 3", got)
	}
}

// A firing within the cooldown proposes nothing, and is counted as
// suppressed.
func TestSuppressedAlertIsCounted(t *testing.T) {
	rule := dr()
	rule.Cooldown = 5 * time.Minute
	g := newRig(t, rule)
	m := g.withMetrics()
	g.send(t, "firing", "orders-dr")
	g.send(t, "resolved", "orders-dr")
	g.send(t, "firing", "orders-dr")
	if len(g.board.shown) != 1 || m.get(Suppressed) != 1 || m.get(Cancelled) != 1 {
		t.Fatalf("%d cards, metrics %v", len(g.board.shown), m.n)
	}
}

// The request an alert makes keeps its runbook, its source and the link
// that silences it in the Alertmanager that sent it.
func TestRequestKeepsTheAlertsLinks(t *testing.T) {
	g := newRig(t, dr())
	body := strings.Replace(webhookBody, `"annotations": {`, `"annotations": {"runbook_url": "https://wiki/kafka-lag", `, 1)
	if err := g.engine.Handle(context.Background(), "", []byte(body)); err != nil {
		t.Fatal(err)
	}
	if len(g.board.shown) != 1 {
		t.Fatalf("%d cards", len(g.board.shown))
	}
	a := g.ops.reqs[g.board.shown[0].ID].Alert
	if a.Runbook != "https://wiki/kafka-lag" || a.Source != "http://prometheus:9090/graph?g0.expr=lag" ||
		!strings.HasPrefix(a.Silence, "http://am:9093/#/silences/new?filter=%7Balertname%3D%22KafkaLag%22%2C%20") {
		t.Fatalf("alert %+v", a)
	}
}
