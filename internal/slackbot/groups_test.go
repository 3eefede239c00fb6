package slackbot

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/fakeclock"
)

type fakeGroupsAPI struct {
	groups       map[string][]string // handle -> members
	err          error
	lists, reads int
}

func (f *fakeGroupsAPI) GetUserGroupsContext(context.Context, ...slack.GetUserGroupsOption) ([]slack.UserGroup, error) {
	f.lists++
	if f.err != nil {
		return nil, f.err
	}
	var out []slack.UserGroup
	for h := range f.groups {
		out = append(out, slack.UserGroup{ID: "S-" + h, Handle: h})
	}
	return out, nil
}

func (f *fakeGroupsAPI) GetUserGroupMembersContext(_ context.Context, id string, _ ...slack.GetUserGroupMembersOption) ([]string, error) {
	f.reads++
	if f.err != nil {
		return nil, f.err
	}
	return f.groups[id[len("S-"):]], nil
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
	assert.Equal(t, 1, api.reads, "cached")

	_, err := g.Members(ctx, "nobody")
	assert.ErrorContains(t, err, "@nobody: Slack has no user group with that handle")

	// Slack fails after the cache's time: the last answer stands a while...
	api.err = errors.New("ratelimited")
	clock.Advance(2 * time.Minute)
	m, err := g.Members(ctx, "oncall")
	require.NoError(t, err)
	assert.Equal(t, []string{"U1", "U2"}, m)
	// ...but not for ever.
	clock.Advance(20 * time.Minute)
	_, err = g.Members(ctx, "oncall")
	assert.ErrorContains(t, err, "ratelimited")

	api.err = nil
	api.groups["oncall"] = []string{"U3"}
	m, err = g.Members(ctx, "oncall")
	require.NoError(t, err)
	assert.Equal(t, []string{"U3"}, m)
}
