package ops_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/operations"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
)

func ids(rs []ops.Request) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// What waits for a person is what the policy lets them confirm: not their
// own request under two_person, not what another rule's confirmers hold,
// not what expired; the oldest first.
func TestWaitingForFollowsThePolicy(t *testing.T) {
	w := newWorld(t)
	b := w.startBot(t, w.bus, ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100", "billing": "p-200"}}}, ops.Deps{
		Providers: []ops.Provider{pipelines.New(enos.New(w.url, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}))},
		Policy:    &ops.Policy{Rules: testRules, Groups: oncall(), Commands: operations.Names()},
		Trail:     w.bus.Audit(),
	})
	ctx := context.Background()
	start, err := ask(b, "U0DAVE", "C0OPS", "pipeline start billing")
	require.NoError(t, err)
	w.clock.Advance(time.Second)
	stop, err := ask(b, "U0BOB", "C0OPS", "pipeline stop orders-etl")
	require.NoError(t, err)

	for user, want := range map[string][]string{
		"U0LEAD":  {start.Request.ID},                  // ops-channel's confirmer; not on call for stops
		"U0CAROL": {start.Request.ID, stop.Request.ID}, // on call: both, oldest first
		"U0BOB":   {start.Request.ID},                  // on call, but asked for the stop himself
		"U0DAVE":  nil,                                 // confirms nothing
	} {
		waiting, err := b.svc.WaitingFor(ctx, user)
		require.NoError(t, err)
		assert.Equal(t, want, ids(waiting), user)
	}

	w.clock.Advance(10 * time.Minute)
	waiting, err := b.svc.WaitingFor(ctx, "U0CAROL")
	require.NoError(t, err)
	assert.Empty(t, waiting, "expired requests wait for nobody, swept or not")
}

// A person's recent requests are read from the audit trail, newest first,
// as their last events leave them: state, who decided, outcome.
func TestRecentByReadsTheAuditTrail(t *testing.T) {
	w := newWorld(t)
	b := w.startBot(t, w.bus, ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100", "billing": "p-200"}}}, ops.Deps{
		Providers: []ops.Provider{pipelines.New(enos.New(w.url, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}))},
		Trail:     w.bus.Audit(),
	})
	ctx := context.Background()
	var made []string
	for _, text := range []string{"pipeline pause orders-etl", "pipeline start billing", "pipeline show billing", "pipeline stop billing"} {
		reply, err := ask(b, "U0DAVE", "C0OPS", text)
		require.NoError(t, err)
		if reply.Request != nil {
			made = append(made, reply.Request.ID)
		}
	}
	_, err := ask(b, "U0ERIN", "C0OPS", "pipeline pause billing")
	require.NoError(t, err)
	_, err = b.svc.Cancel(ctx, made[2], "U0DAVE")
	require.NoError(t, err)
	_, err = b.svc.Confirm(ctx, made[0], "U0LEAD")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		recent, err := b.svc.RecentBy(ctx, "U0DAVE", 10)
		return err == nil && len(recent) == 3 && recent[0].ID == made[0] && recent[0].State.Final()
	}, 20*time.Second, 10*time.Millisecond)

	recent, err := b.svc.RecentBy(ctx, "U0DAVE", 2)
	require.NoError(t, err)
	require.Equal(t, []string{made[0], made[2]}, ids(recent), "the last changed first, at most n")
	assert.Equal(t, ops.Succeeded, recent[0].State)
	assert.Equal(t, "U0LEAD", recent[0].DecidedBy)
	require.NotNil(t, recent[0].Outcome)
	assert.Contains(t, recent[0].Outcome.Summary, "Paused pipeline orders-etl")
	assert.Equal(t, "pipeline pause", recent[0].Op)
	assert.Equal(t, ops.Cancelled, recent[1].State)
	assert.Equal(t, "U0DAVE", recent[1].DecidedBy)
}
