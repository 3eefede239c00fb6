package slackbot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/streamops/streamops/internal/ops"
)

// The Home tab shows a person what waits for their confirmation and what
// became of their own recent requests. It is published when they open it
// and again, for a while, whenever a request that concerns them changes.
const (
	// DefaultHomeEvery is how often at most one person's Home tab is
	// published again: Slack rate-limits views.publish, and a burst of
	// changes is worth one refresh.
	DefaultHomeEvery = 3 * time.Second
	// homeViewers bounds the people whose Home tab is kept up to date.
	homeViewers = 1000
	// homeFor is how long after opening Home someone's tab is kept up to
	// date; after that it is published again when they next open it.
	homeFor = 30 * time.Minute
	// homeRecent is how many of the viewer's own requests Home lists.
	homeRecent = 10
	// homeWaiting bounds the waiting requests Home shows with buttons,
	// well inside the 100 blocks a view may hold.
	homeWaiting = 20
)

// viewer is what this replica knows of one person's Home tab.
type viewer struct {
	opened    time.Time       // when they last opened it
	published time.Time       // when it was last published
	scheduled bool            // a publish is due
	shown     map[string]bool // the request IDs it shows
	note      string          // said once at the top: why a click from Home did nothing
}

// homes are the Home tabs opened lately, at most homeViewers of them.
type homes struct {
	mu      sync.Mutex
	viewers *simplelru.LRU[string, *viewer]
}

func newHomes() *homes {
	lru, err := simplelru.NewLRU[string, *viewer](homeViewers, nil)
	if err != nil {
		panic(err) // homeViewers > 0
	}
	return &homes{viewers: lru}
}

// homeOpened publishes the Home tab of whoever opened it; opening the
// Messages tab sends the same event, and is left alone.
func (b *Bot) homeOpened(ctx context.Context, _ string, ev slackevents.EventsAPIInnerEvent) {
	home, ok := ev.Data.(*slackevents.AppHomeOpenedEvent)
	if !ok || home.Tab != "home" || !userIDPattern.MatchString(home.User) {
		return
	}
	b.homes.mu.Lock()
	v, ok := b.homes.viewers.Get(home.User)
	if !ok {
		v = &viewer{}
		b.homes.viewers.Add(home.User, v)
	}
	v.opened = time.Now()
	b.homes.mu.Unlock()
	b.refreshHome(context.WithoutCancel(ctx), home.User)
}

// RequestChanged takes an audit event, from any replica, and refreshes the
// Home tabs it may change: those showing its request, its requester's,
// and, for a new request, those of anyone who might confirm it (the policy
// decides when the tab is published). It returns at once.
func (b *Bot) RequestChanged(ctx context.Context, e ops.Event) {
	ctx = context.WithoutCancel(ctx)
	var users []string
	b.homes.mu.Lock()
	for _, user := range b.homes.viewers.Keys() {
		v, _ := b.homes.viewers.Peek(user)
		if time.Since(v.opened) > homeFor {
			b.homes.viewers.Remove(user)
			continue
		}
		if v.shown[e.RequestID] || user == e.Requester || e.State == ops.Pending {
			users = append(users, user)
		}
	}
	b.homes.mu.Unlock()
	for _, user := range users {
		b.refreshHome(ctx, user)
	}
}

// refreshHome publishes user's Home tab now, or, if it was published less
// than HomeEvery ago, once that time is up; changes meanwhile join that
// one publish, which shows the state of when it is made.
func (b *Bot) refreshHome(ctx context.Context, user string) {
	b.homes.mu.Lock()
	defer b.homes.mu.Unlock()
	v, ok := b.homes.viewers.Peek(user)
	if !ok || v.scheduled {
		return
	}
	v.scheduled = true
	publish := func() { b.publishHome(ctx, user, v) }
	wait := time.Until(v.published.Add(b.cfg.HomeEvery))
	if wait <= 0 {
		b.background.Go(publish)
		return
	}
	b.background.Add()
	time.AfterFunc(wait, func() {
		defer b.background.Done()
		publish()
	})
}

// publishHome reads what concerns user and publishes their Home tab.
func (b *Bot) publishHome(ctx context.Context, user string, v *viewer) {
	b.homes.mu.Lock()
	v.scheduled, v.published = false, time.Now()
	note := v.note
	v.note = ""
	b.homes.mu.Unlock()

	waiting, werr := b.svc.WaitingFor(ctx, user)
	recent, rerr := b.svc.RecentBy(ctx, user, homeRecent)
	shown := map[string]bool{}
	for _, r := range append(waiting, recent...) {
		shown[r.ID] = true
	}
	b.homes.mu.Lock()
	v.shown = shown
	b.homes.mu.Unlock()

	view := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: b.homeBlocks(note, waiting, werr, recent, rerr)}}
	b.call(ctx, "", "views.publish", func(ctx context.Context) error {
		_, err := b.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: view})
		return err
	})
}

// homeNote shows text at the top of user's Home tab, where they clicked
// a button that has no message to answer under.
func (b *Bot) homeNote(ctx context.Context, user, text string) {
	b.homes.mu.Lock()
	v, ok := b.homes.viewers.Peek(user)
	if ok {
		v.note = text
	}
	b.homes.mu.Unlock()
	b.refreshHome(ctx, user)
}

// homeBlocks lays out a Home tab: a note, if any; the requests waiting for
// the viewer, each with the card's buttons; the viewer's recent requests.
func (b *Bot) homeBlocks(note string, waiting []ops.Request, werr error, recent []ops.Request, rerr error) []slack.Block {
	var blocks []slack.Block
	if note != "" {
		blocks = append(blocks, section(note), slack.NewDividerBlock())
	}
	blocks = append(blocks, listHead("Waiting for your confirmation", werr, len(waiting), "Nothing is waiting for you.")...)
	for i, r := range waiting {
		if i == homeWaiting {
			blocks = append(blocks, section(fmt.Sprintf("…and %d more: the `pending` command lists them all.", len(waiting)-homeWaiting)))
			break
		}
		where := "from the " + string(r.Origin.Frontend)
		if r.Origin.Channel != "" {
			where = "in <#" + r.Origin.Channel + ">"
		}
		blocks = append(blocks, section(fmt.Sprintf("*%s* %s\nAsked by %s %s; expires %s.",
			r.ID, mrkdwn(r.Op+" "+r.TargetName()), mrkdwn(r.Requester, r.Requester), where, r.ExpiresAt.UTC().Format("15:04 MST"))))
		decision := buttons(r, b.risk(r.Op))
		decision.BlockID = "decision-" + r.ID // block IDs are unique within a view
		blocks = append(blocks, decision)
	}
	blocks = append(blocks, slack.NewDividerBlock())
	blocks = append(blocks, listHead("Your recent requests", rerr, len(recent), "You asked for nothing in the last day.")...)
	for _, r := range recent {
		line := fmt.Sprintf("*%s* %s: *%s*", r.ID, mrkdwn(r.Op+" "+r.TargetName()), r.State)
		if r.DecidedBy != "" {
			line += " by " + mrkdwn(r.DecidedBy, r.DecidedBy)
		}
		if r.Outcome != nil {
			line += "\n" + mrkdwn(r.Outcome.Summary, people(r)...)
		}
		blocks = append(blocks, section(line))
	}
	return blocks
}

// listHead is a list's header, and what the list could not read or that it
// is empty.
func listHead(title string, err error, n int, none string) []slack.Block {
	head := []slack.Block{header(title)}
	switch {
	case err != nil:
		return append(head, section(textMessage(err.Error()+". Open Home again to try again.")))
	case n == 0:
		return append(head, section(none))
	}
	return head
}

func header(text string) *slack.HeaderBlock {
	return slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, truncate(text, maxHeader), false, false))
}
