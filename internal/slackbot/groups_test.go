package slackbot

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/fakeclock"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/testwait"
)

type fakeGroupsAPI struct {
	mu     sync.Mutex
	groups map[string][]string // handle -> members
	err    error
	calls  atomic.Int64
	// gate, when set, holds each call until it is closed.
	gate chan struct{}
}

func (f *fakeGroupsAPI) GetUserGroupsContext(_ context.Context, options ...slack.GetUserGroupsOption) ([]slack.UserGroup, error) {
	f.calls.Add(1)
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var p slack.GetUserGroupsParams
	for _, o := range options {
		o(&p)
	}
	var out []slack.UserGroup
	for h, members := range f.groups {
		ug := slack.UserGroup{ID: "S-" + h, Handle: h}
		if p.IncludeUsers {
			ug.Users = members
		}
		out = append(out, ug)
	}
	return out, nil
}

func (f *fakeGroupsAPI) set(groups map[string][]string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups, f.err = groups, err
}

func TestGroupsCacheAndSlackFailures(t *testing.T) {
	api := &fakeGroupsAPI{groups: map[string][]string{"oncall": {"U1", "U2"}}}
	clock := fakeclock.New(time.Now())
	g := NewGroups(api, time.Minute, clock.Now, nil)
	ctx := context.Background()

	for range 3 {
		m, err := g.Members(ctx, "oncall")
		require.NoError(t, err)
		assert.Equal(t, []string{"U1", "U2"}, m)
	}
	// A group Slack does not have: known from the same answer.
	for range 3 {
		_, err := g.Members(ctx, "nobody")
		assert.ErrorIs(t, err, ops.ErrNoGroup)
		assert.ErrorContains(t, err, "@nobody")
	}
	assert.EqualValues(t, 1, api.calls.Load(), "one read answers every handle, missing ones too")

	// Slack fails after the cache's time: the last answer stands a while,
	// and Slack is not asked again at once.
	api.set(api.groups, errors.New("ratelimited"))
	clock.Advance(2 * time.Minute)
	for range 3 {
		m, err := g.Members(ctx, "oncall")
		require.NoError(t, err)
		assert.Equal(t, []string{"U1", "U2"}, m)
	}
	assert.EqualValues(t, 2, api.calls.Load(), "a failure is remembered too")
	clock.Advance(failureWait)
	_, err := g.Members(ctx, "oncall")
	require.NoError(t, err)
	assert.EqualValues(t, 3, api.calls.Load())

	// ...but not for ever.
	clock.Advance(20 * time.Minute)
	_, err = g.Members(ctx, "oncall")
	assert.ErrorContains(t, err, "ratelimited")
	assert.NotErrorIs(t, err, ops.ErrNoGroup)

	api.set(map[string][]string{"oncall": {"U3"}}, nil)
	clock.Advance(failureWait)
	m, err := g.Members(ctx, "oncall")
	require.NoError(t, err)
	assert.Equal(t, []string{"U3"}, m)
}

// Slack asking the bot to wait longer than failureWait is obeyed.
func TestGroupsWaitAsSlackAsks(t *testing.T) {
	api := &fakeGroupsAPI{err: &slack.RateLimitedError{RetryAfter: time.Minute}}
	clock := fakeclock.New(time.Now())
	g := NewGroups(api, time.Minute, clock.Now, nil)
	_, err := g.Members(t.Context(), "oncall")
	require.Error(t, err)
	clock.Advance(failureWait)
	_, err = g.Members(t.Context(), "oncall")
	require.Error(t, err)
	assert.EqualValues(t, 1, api.calls.Load())
	clock.Advance(time.Minute)
	g.Members(t.Context(), "oncall")
	assert.EqualValues(t, 2, api.calls.Load())
}

// A burst of checks while nothing is cached: one call to Slack, shared.
func TestGroupsOneReadAtATime(t *testing.T) {
	api := &fakeGroupsAPI{groups: map[string][]string{"oncall": {"U1"}, "leads": {"U2"}}, gate: make(chan struct{})}
	g := NewGroups(api, 0, nil, nil)
	var wg sync.WaitGroup
	for i := range 50 {
		handle := []string{"oncall", "leads", "nobody"}[i%3]
		wg.Go(func() {
			_, err := g.Members(t.Context(), handle)
			if handle == "nobody" {
				assert.ErrorIs(t, err, ops.ErrNoGroup)
			} else {
				assert.NoError(t, err)
			}
		})
	}
	testwait.Until(t, func() bool { return api.calls.Load() == 1 }, func() string { return "usergroups.list never called" })
	close(api.gate)
	wg.Wait()
	assert.EqualValues(t, 1, api.calls.Load())
}

// A check whose caller gives up does not spoil the read others wait on.
func TestGroupsCallerGivingUp(t *testing.T) {
	api := &fakeGroupsAPI{groups: map[string][]string{"oncall": {"U1"}}, gate: make(chan struct{})}
	g := NewGroups(api, 0, nil, nil)
	ctx, cancel := context.WithCancel(t.Context())
	gaveUp := make(chan error)
	go func() {
		_, err := g.Members(ctx, "oncall")
		gaveUp <- err
	}()
	testwait.Until(t, func() bool { return api.calls.Load() == 1 }, func() string { return "usergroups.list never called" })
	cancel()
	assert.ErrorIs(t, <-gaveUp, context.Canceled)
	close(api.gate)
	m, err := g.Members(t.Context(), "oncall")
	require.NoError(t, err)
	assert.Equal(t, []string{"U1"}, m)
	assert.EqualValues(t, 1, api.calls.Load())
}

func TestGroupsMissing(t *testing.T) {
	api := &fakeGroupsAPI{groups: map[string][]string{"oncall": {"U1"}}}
	g := NewGroups(api, 0, nil, nil)
	missing, err := g.Missing(t.Context(), []string{"oncall", "sre-leads", "dba"})
	require.NoError(t, err)
	assert.Equal(t, []string{"sre-leads", "dba"}, missing)

	api.set(nil, errors.New("invalid_auth"))
	_, err = NewGroups(api, 0, nil, nil).Missing(t.Context(), []string{"oncall"})
	assert.ErrorContains(t, err, "usergroups.list")
}
