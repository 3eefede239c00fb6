package ops_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
)

// listed is a provider whose pipeline list counts its calls, and fails
// while failing is set.
type listed struct {
	calls   atomic.Int64
	failing atomic.Bool
}

func (l *listed) Operations() []ops.Spec {
	return []ops.Spec{
		{Name: "pipeline pause", Kind: "pipeline", Usage: "<pipeline>",
			Execute: func(context.Context, ops.Request) (ops.Outcome, error) { return ops.Outcome{}, nil }},
		{Name: "pipeline show", Kind: "pipeline", Usage: "<pipeline>",
			Read: func(context.Context, ops.Request) (string, error) { return "", nil }},
		{Name: "pipeline list", Lists: "pipeline",
			Read: func(context.Context, ops.Request) (string, error) { return "", nil },
			Entries: func(context.Context) ([]ops.Entry, error) {
				l.calls.Add(1)
				if l.failing.Load() {
					return nil, errors.New("EnOS answered 503")
				}
				return []ops.Entry{
					{ID: "p-100", Name: "orders-etl", Status: "RUNNING"}, // aliased: offered by its alias
					{ID: "p-300", Name: "Orders-Backfill", Status: "STOPPED"},
					{ID: "not an id", Name: "orders-broken"},
				}, nil
			}},
	}
}

// operation is the spec of the operation b offers by name.
func operation(t *testing.T, b *bot, name string) ops.Spec {
	t.Helper()
	sp, ok := b.svc.Operation(name)
	require.True(t, ok, "no operation %q", name)
	return sp
}

func words(cs []ops.Choice) []string {
	var ws []string
	for _, c := range cs {
		ws = append(ws, c.Word)
	}
	return ws
}

// The targets offered are the aliases, then what the provider lists that
// no alias stands for, matching in any case; the list is read once per
// 30 s, and when it fails the aliases are still offered.
func TestChoices(t *testing.T) {
	w := newWorld(t)
	l := &listed{}
	b := w.startBot(t, w.bus, ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100", "billing": "p-200"}}},
		ops.Deps{Providers: []ops.Provider{l}})
	ctx := context.Background()
	pause := operation(t, b, "pipeline pause")

	got, err := b.svc.Choices(ctx, pause, "ORDERS", 100)
	require.NoError(t, err)
	assert.Equal(t, []ops.Choice{{Word: "orders-etl", Label: "orders-etl (p-100)"}, {Word: "p-300", Label: "Orders-Backfill (p-300), STOPPED"}}, got)
	got, _ = b.svc.Choices(ctx, pause, "", 100)
	assert.Equal(t, []string{"billing", "orders-etl", "p-300"}, words(got))
	got, _ = b.svc.Choices(ctx, pause, "", 2)
	assert.Equal(t, []string{"billing", "orders-etl"}, words(got), "at most the limit")
	got, _ = b.svc.Choices(ctx, ops.Spec{Name: "stream stop", Kind: "stream"}, "", 100)
	assert.Empty(t, got, "nothing lists streams here")
	assert.EqualValues(t, 1, l.calls.Load(), "the list is reused within 30 s")

	w.clock.Advance(31 * time.Second)
	l.failing.Store(true)
	got, err = b.svc.Choices(ctx, pause, "", 100)
	assert.ErrorContains(t, err, "pipeline list: ")
	assert.Equal(t, []string{"billing", "orders-etl"}, words(got), "the aliases, when the list fails")
	l.failing.Store(false)
	got, err = b.svc.Choices(ctx, pause, "", 100)
	require.NoError(t, err)
	assert.Equal(t, []string{"billing", "orders-etl", "p-300"}, words(got), "a failed list is not kept")
	assert.EqualValues(t, 3, l.calls.Load())
}

// An operation that takes a group is offered each group holding a target
// of its kind, after the aliases and before what the provider lists, named
// by those members only and matched by its name or theirs; one that reads
// its target first (or takes none) is offered no group.
func TestChoicesOfferGroupsOfTheKind(t *testing.T) {
	w := newWorld(t)
	b := w.startBot(t, w.bus, ops.Settings{
		Targets: ops.Targets{"pipeline": {"orders-etl": "p-100", "billing": "p-200"}, "stream": {"clicks": "es-1"}},
		Groups: map[string][]string{
			"orders":  {"pipeline:orders-etl", "stream:clicks", "pipeline:billing"},
			"streams": {"stream:clicks"},
			"dr":      {"pipeline:sh/p-900", "pipeline:p-300"},
		},
		Accounts: map[string][]string{"pipeline": {ops.DefaultAccount, "sh"}},
	}, ops.Deps{Providers: []ops.Provider{&listed{}}})
	ctx := context.Background()
	pause := operation(t, b, "pipeline pause")
	require.True(t, pause.TakesGroup())

	got, err := b.svc.Choices(ctx, pause, "", 100)
	require.NoError(t, err)
	assert.Equal(t, []ops.Choice{
		{Word: "billing", Label: "billing (p-200)"},
		{Word: "orders-etl", Label: "orders-etl (p-100)"},
		{Word: "@dr", Label: "@dr (2 pipelines: sh/p-900, p-300)"},
		{Word: "@orders", Label: "@orders (2 pipelines: orders-etl, billing)"},
		{Word: "p-300", Label: "Orders-Backfill (p-300), STOPPED"},
	}, got, "@streams holds no pipeline")
	got, _ = b.svc.Choices(ctx, pause, "@", 100)
	assert.Equal(t, []string{"@dr", "@orders"}, words(got), "an @ asks for the groups")
	got, _ = b.svc.Choices(ctx, pause, "ORD", 100)
	assert.Equal(t, []string{"orders-etl", "@orders", "p-300"}, words(got), "by the group's name")
	got, _ = b.svc.Choices(ctx, pause, "Billing", 100)
	assert.Equal(t, []string{"billing", "@orders"}, words(got), "by a member's name")
	got, _ = b.svc.Choices(ctx, pause, "sh/", 100)
	assert.Equal(t, []string{"@dr"}, words(got), "by a member's account")
	got, _ = b.svc.Choices(ctx, pause, "", 3)
	assert.Equal(t, []string{"billing", "orders-etl", "@dr"}, words(got), "at most the limit")

	got, _ = b.svc.Choices(ctx, ops.Spec{Name: "stream stop", Kind: "stream"}, "", 100)
	assert.Equal(t, []ops.Choice{
		{Word: "clicks", Label: "clicks (es-1)"},
		{Word: "@orders", Label: "@orders (1 stream: clicks)"},
		{Word: "@streams", Label: "@streams (1 stream: clicks)"},
	}, got)

	reads := ops.Spec{Name: "pipeline switch", Kind: "pipeline", ReadsFirst: true}
	assert.False(t, reads.TakesGroup())
	got, _ = b.svc.Choices(ctx, reads, "", 100)
	assert.Equal(t, []string{"billing", "orders-etl", "p-300"}, words(got), "no group for an operation that reads its target first")
	got, _ = b.svc.Choices(ctx, reads, "@", 100)
	assert.Empty(t, got)
	assert.False(t, ops.Spec{Name: "job create", Named: true}.TakesGroup(), "no target, no group")
}

// What a person may request is the state-changing operations the policy
// lets them request in that channel; Check refuses as Handle would, without
// reading a provider or storing a request.
func TestRequestableAndCheck(t *testing.T) {
	w := newWorld(t)
	l := &listed{}
	policy := &ops.Policy{Commands: ops.CommandNames(l.Operations()), Rules: []ops.Rule{
		{Name: "ops-room", Operations: []string{"pipeline *"}, Requesters: []string{"U-alice"}, Confirmers: []string{"U-bob"}, Channels: []string{"C0OPS"}},
	}}
	b := w.startBot(t, w.bus, ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}}},
		ops.Deps{Providers: []ops.Provider{l}, Policy: policy})
	ctx := context.Background()
	in := func(user, channel, text string) ops.Input {
		return ops.Input{Text: text, User: user, Origin: ops.Origin{Frontend: ops.FrontendSlack, Channel: channel}}
	}

	names := func(specs []ops.Spec) []string {
		var n []string
		for _, s := range specs {
			n = append(n, s.Name)
		}
		return n
	}
	assert.Equal(t, []string{"pipeline pause"}, names(b.svc.Requestable(ctx, "U-alice", ops.Origin{Frontend: ops.FrontendSlack, Channel: "C0OPS"})))
	assert.Empty(t, b.svc.Requestable(ctx, "U-alice", ops.Origin{Frontend: ops.FrontendSlack, Channel: "C0ELSE"}))
	assert.Empty(t, b.svc.Requestable(ctx, "U-bob", ops.Origin{Frontend: ops.FrontendSlack, Channel: "C0OPS"}))

	require.NoError(t, b.svc.Check(ctx, in("U-alice", "C0OPS", "pipeline pause orders-etl")))
	var no *ops.Refusal
	require.ErrorAs(t, b.svc.Check(ctx, in("U-bob", "C0OPS", "pipeline pause orders-etl")), &no)
	assert.Equal(t, ops.NotRequester, no.Why)
	var bad *ops.InputError
	require.ErrorAs(t, b.svc.Check(ctx, in("U-alice", "C0OPS", "pipeline pause nosuch")), &bad)
	pending, err := b.svc.Handle(ctx, in("U-alice", "C0OPS", "pending"))
	require.NoError(t, err)
	assert.Contains(t, pending.Text, "No requests", "a check stores nothing")
	assert.Zero(t, w.posts.Load())
}
