package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/sync/singleflight"

	"github.com/streamops/streamops/internal/ops"
)

// GroupsAPI is the part of Slack's Web API that says who is in the
// workspace's user groups: usergroups.list with include_users, one call
// for every group and its members (a *slack.Client; scope usergroups:read).
type GroupsAPI interface {
	GetUserGroupsContext(ctx context.Context, options ...slack.GetUserGroupsOption) ([]slack.UserGroup, error)
}

// GroupCacheTTL is how long Slack's answer is taken as known.
const GroupCacheTTL = 3 * time.Minute

// staleFor is how many TTLs the last answer stands in while Slack fails.
const staleFor = 10

// failureWait is how long a failed read is not tried again, unless Slack
// asks for longer: Slack allows usergroups.list about 20 times a minute.
const failureWait = 10 * time.Second

// readTimeout bounds the one read that every waiting policy check shares.
const readTimeout = 15 * time.Second

// Groups resolves the policy's @handles to Slack user IDs. One read of
// every group (usergroups.list) answers all handles for a few minutes, a
// handle Slack does not have included; one read runs at a time, shared by
// every check waiting on it. When Slack fails, the last answer is used for
// up to ten times as long, and Slack is not asked again for a while.
type Groups struct {
	api    GroupsAPI
	ttl    time.Duration
	now    func() time.Time
	log    *slog.Logger
	flight singleflight.Group

	mu      sync.Mutex
	members map[string][]string // handle -> user IDs, as Slack last said
	ids     map[string]string   // handle -> the group's ID, for mentions
	readAt  time.Time           // of Slack's last answer; zero: none yet
	err     error               // of the last read, when it failed
	retryAt time.Time           // after a failure, no read before this
	missing map[string]bool     // handles already logged as missing
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
	return &Groups{api: api, ttl: ttl, now: now, log: log, missing: map[string]bool{}}
}

// Members returns the user IDs in the group with this handle (without @);
// for a handle Slack has no group with, an error wrapping ops.ErrNoGroup.
func (g *Groups) Members(ctx context.Context, handle string) ([]string, error) {
	groups, err := g.read(ctx)
	if err != nil {
		return nil, fmt.Errorf("@%s: %w", handle, err)
	}
	ids, ok := groups[handle]
	if !ok {
		g.sayMissing([]string{handle})
		return nil, fmt.Errorf("@%s: %w", handle, ops.ErrNoGroup)
	}
	return ids, nil
}

// ID returns the ID of the group with this handle, as Slack last said;
// "" when it has not said, so that a card names the group plainly.
func (g *Groups) ID(ctx context.Context, handle string) string {
	if _, err := g.read(ctx); err != nil {
		return ""
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ids[handle]
}

// Missing returns the handles (without @) Slack has no group with, and
// logs them once, for a check of the policy at start.
func (g *Groups) Missing(ctx context.Context, handles []string) ([]string, error) {
	groups, err := g.read(ctx)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, h := range handles {
		if _, ok := groups[h]; !ok {
			missing = append(missing, h)
		}
	}
	g.sayMissing(missing)
	return missing, nil
}

// sayMissing logs each handle once: a policy check per command must not
// fill the log.
func (g *Groups) sayMissing(handles []string) {
	g.mu.Lock()
	var news []string
	for _, h := range handles {
		if !g.missing[h] {
			g.missing[h] = true
			news = append(news, "@"+h)
		}
	}
	g.mu.Unlock()
	if len(news) > 0 {
		g.log.Warn("the policy names user groups Slack does not have: nobody is in them, so the rules naming them let nobody through; create them in Slack or change the policy",
			"groups", news)
	}
}

// read returns every group's members, asking Slack only when the last
// answer is old and the last failure is not too recent.
func (g *Groups) read(ctx context.Context) (map[string][]string, error) {
	if g.due() {
		// Not the caller's cancellation: others wait on this read too.
		shared := context.WithoutCancel(ctx)
		done := g.flight.DoChan("usergroups.list", func() (any, error) {
			g.refresh(shared)
			return nil, nil
		})
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err == nil || !g.readAt.IsZero() && g.now().Sub(g.readAt) < staleFor*g.ttl {
		return g.members, nil
	}
	return nil, g.err
}

// due reports whether Slack should be asked: the last answer is old, and
// no failure asks to wait.
func (g *Groups) due() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	fresh := g.err == nil && !g.readAt.IsZero() && now.Sub(g.readAt) < g.ttl
	waiting := g.err != nil && now.Before(g.retryAt)
	return !fresh && !waiting
}

func (g *Groups) refresh(ctx context.Context) {
	if !g.due() {
		return // a read that ended just before this one began answers
	}
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	list, err := g.api.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeUsers(true))
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if err != nil {
		wait := failureWait
		var limited *slack.RateLimitedError
		if errors.As(err, &limited) {
			wait = max(wait, limited.RetryAfter)
		}
		g.err = fmt.Errorf("could not read Slack's user groups (usergroups.list): %w", err)
		g.retryAt = now.Add(wait)
		g.log.Warn("could not read Slack's user groups; the last answer stands a while", "err", err, "next_try_in", wait)
		return
	}
	g.members = make(map[string][]string, len(list))
	g.ids = make(map[string]string, len(list))
	for _, ug := range list {
		g.members[ug.Handle] = ug.Users
		g.ids[ug.Handle] = ug.ID
	}
	for h := range g.missing {
		if _, ok := g.members[h]; ok {
			delete(g.missing, h) // made since: logged again should it go
		}
	}
	g.readAt, g.err = now, nil
}
