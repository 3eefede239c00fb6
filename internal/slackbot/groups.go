package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/streamops/streamops/internal/ops"
)

// GroupsAPI is the part of Slack's Web API that says who is in a user
// group: usergroups.list finds a handle's ID, usergroups.users.list its
// members (a *slack.Client; scope usergroups:read).
type GroupsAPI interface {
	GetUserGroupsContext(ctx context.Context, options ...slack.GetUserGroupsOption) ([]slack.UserGroup, error)
	GetUserGroupMembersContext(ctx context.Context, userGroup string, options ...slack.GetUserGroupMembersOption) ([]string, error)
}

// GroupCacheTTL is how long a group's members are taken as known.
const GroupCacheTTL = 3 * time.Minute

// Groups resolves the policy's @handles to Slack user IDs, keeping each
// answer for a few minutes so that a policy check costs no call to Slack.
// When Slack fails, the last answer is used for up to ten times as long.
type Groups struct {
	api GroupsAPI
	ttl time.Duration
	now func() time.Time
	log *slog.Logger

	mu      sync.Mutex
	ids     map[string]string // handle -> group ID
	idsAt   time.Time
	members map[string]groupMembers // handle -> members
}

type groupMembers struct {
	ids []string
	at  time.Time
}

var _ ops.Groups = (*Groups)(nil)

// NewGroups makes the resolver; ttl <= 0 takes GroupCacheTTL, nil now
// takes the clock.
func NewGroups(api GroupsAPI, ttl time.Duration, now func() time.Time, log *slog.Logger) *Groups {
	if ttl <= 0 {
		ttl = GroupCacheTTL
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Groups{api: api, ttl: ttl, now: now, log: log, members: map[string]groupMembers{}}
}

// Members returns the user IDs in the group with this handle (without @).
func (g *Groups) Members(ctx context.Context, handle string) ([]string, error) {
	g.mu.Lock()
	defer g.mu.Unlock() // one lookup at a time: a burst of checks makes one call
	now := g.now()
	cached, ok := g.members[handle]
	if ok && now.Sub(cached.at) < g.ttl {
		return cached.ids, nil
	}
	ids, err := g.fetch(ctx, handle, now)
	if err != nil {
		if ok && now.Sub(cached.at) < 10*g.ttl {
			g.log.Warn("could not refresh a Slack user group; using what it was minutes ago", "group", "@"+handle, "err", err)
			return cached.ids, nil
		}
		return nil, err
	}
	g.members[handle] = groupMembers{ids: ids, at: now}
	return ids, nil
}

func (g *Groups) fetch(ctx context.Context, handle string, now time.Time) ([]string, error) {
	id, ok := g.ids[handle]
	if !ok || now.Sub(g.idsAt) >= g.ttl {
		list, err := g.api.GetUserGroupsContext(ctx)
		if err != nil {
			return nil, fmt.Errorf("@%s: Slack's usergroups.list: %w", handle, err)
		}
		g.ids, g.idsAt = make(map[string]string, len(list)), now
		for _, ug := range list {
			g.ids[ug.Handle] = ug.ID
		}
		if id, ok = g.ids[handle]; !ok {
			return nil, fmt.Errorf("@%s: Slack has no user group with that handle", handle)
		}
	}
	ids, err := g.api.GetUserGroupMembersContext(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("@%s: Slack's usergroups.users.list: %w", handle, err)
	}
	return ids, nil
}

// slackWord is a word that may be a Slack user ID: U or W, then capitals
// and digits, at least one digit.
var slackWord = regexp.MustCompile(`\b[UW][A-Z0-9]*[0-9][A-Z0-9]*\b`)

// refused names the people in a policy refusal (who asked, who could
// instead), so that Slack shows them as mentions; nil for other errors.
func refused(err error) []string {
	var bad *ops.InputError
	if !errors.As(err, &bad) || !strings.HasPrefix(bad.Msg, "Refused") {
		return nil
	}
	var ids []string
	for _, w := range slackWord.FindAllString(bad.Msg, -1) {
		if userIDPattern.MatchString(w) {
			ids = append(ids, w)
		}
	}
	return ids
}
