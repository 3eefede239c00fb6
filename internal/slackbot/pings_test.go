package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slacktest"
)

// cardSections are the mrkdwn texts of a posted card's sections.
func cardSections(t *testing.T, c slacktest.Call) []string {
	t.Helper()
	var blocks []struct {
		Type string `json:"type"`
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	require.NoError(t, json.Unmarshal([]byte(c.Form.Get("blocks")), &blocks), c.Form.Get("blocks"))
	var texts []string
	for _, b := range blocks {
		if b.Type == "section" {
			texts = append(texts, b.Text.Text)
		}
	}
	return texts
}

// A waiting card names who may confirm it, as mentions that notify them:
// the group by its Slack ID, the user by theirs; under two_person it says
// that whoever asked cannot.
func TestCardNamesWhoMayConfirm(t *testing.T) {
	t.Run("HTTP", func(t *testing.T) {
		w := pingWorld(t)
		cardNamesWhoMayConfirm(t, w, func(user, text string) { w.command(user, text) })
	})
	t.Run("Socket Mode", func(t *testing.T) {
		w := pingWorld(t)
		s := w.socketMode()
		cardNamesWhoMayConfirm(t, w, func(user, text string) {
			n := w.sent.Add(1)
			envelope := fmt.Sprintf("env-cmd-%d", n)
			s.send(map[string]any{"envelope_id": envelope, "type": "slash_commands", "accepts_response_payload": true,
				"payload": map[string]any{
					"team_id": "T0ACME", "channel_id": channel, "user_id": user, "command": "/streamops", "text": text,
					"is_enterprise_install": "false", "response_url": w.slack.ResponseURL(envelope), "trigger_id": fmt.Sprintf("7.%d.sock", n),
				}})
			s.ack(envelope)
		})
	})
}

func pingWorld(t *testing.T) *world {
	return newWorld(t, func(o *setup) {
		o.policy = []ops.Rule{
			{Name: "pipelines", Operations: []string{"pipeline *"}, Requesters: []string{"*"},
				Confirmers: []string{"@oncall", carol, "@ghosts"}, TwoPerson: true},
			{Name: "jobs", Operations: []string{"job *"}, Requesters: []string{"*"}, Confirmers: []string{"*"}},
		}
		o.groups = map[string][]string{"oncall": {alice, bob}}
	})
}

func cardNamesWhoMayConfirm(t *testing.T, w *world, command func(user, text string)) {
	command(alice, "pipeline pause orders-etl")
	posted := w.slack.WaitFor("the card", func(c slacktest.Call) bool {
		return c.Method == "chat.postMessage" && regexp.MustCompile(`orders-etl`).MatchString(c.Form.Get("blocks"))
	})
	want := `May confirm: <!subteam^S0ONCALL|@oncall>, <@U0CAROL>, @ghosts (no such user group). ` +
		`Policy rule "pipelines" needs two people, so <@U0ALICE>, who asked, cannot confirm it.`
	assert.Contains(t, cardSections(t, posted), want)
	assert.Contains(t, posted.Form.Get("text"), want, "the notification text mentions them too")

	// Anyone may confirm: said as such, and the requester is not excluded.
	command(alice, "job stop orders-dr")
	posted = w.slack.WaitFor("the job's card", func(c slacktest.Call) bool {
		return c.Method == "chat.postMessage" && regexp.MustCompile(`orders-dr`).MatchString(c.Form.Get("blocks"))
	})
	assert.Contains(t, cardSections(t, posted), "May confirm: anyone.")
}

// Without a policy anyone may confirm, and the card says nothing of it.
func TestCardWithoutPolicyNamesNobody(t *testing.T) {
	w := newWorld(t)
	w.command(alice, "pipeline pause orders-etl")
	posted := w.slack.WaitFor("the card", func(c slacktest.Call) bool {
		return c.Method == "chat.postMessage" && regexp.MustCompile(`orders-etl`).MatchString(c.Form.Get("blocks"))
	})
	assert.NotContains(t, posted.Form.Get("blocks"), "May confirm")
	assert.NotContains(t, posted.Form.Get("text"), "May confirm")
}

// otherReplica is a second bot with its own rules on the world's NATS,
// sweeping on the world's clock, as another replica.
func (w *world) otherReplica() (*ops.Service, *Bot) {
	w.t.Helper()
	conn, err := bus.Connect(context.Background(), bus.Config{URL: w.bus.ClientURL()}, slog.New(slog.DiscardHandler))
	require.NoError(w.t, err)
	api := slack.New("xoxb-test", slack.OptionAPIURL(w.slack.APIURL()))
	var bot *Bot
	svc, err := ops.New(ops.Settings{
		Expiry: 10 * time.Minute, AbandonAfter: 5 * time.Minute, TargetWait: 10 * time.Second,
		CheckInterval: 10 * time.Millisecond, CheckTimeout: 5 * time.Second, SweepInterval: 20 * time.Millisecond,
	}, ops.Deps{
		Store: conn.Requests(), Claims: conn.Claims(), Events: conn.Events(), Now: w.clock.Now,
		FrontEnds: func(svc *ops.Service) []ops.Notifier {
			bot = New(svc, api, Config{Deliveries: conn.Deliveries(), CallTimeout: 5 * time.Second,
				Wait: func(context.Context, time.Duration) error { return nil }})
			return []ops.Notifier{bot}
		},
	})
	require.NoError(w.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); svc.Run(ctx) }()
	w.t.Cleanup(func() {
		cancel()
		<-ran
		wait, done := context.WithTimeout(context.Background(), 20*time.Second)
		defer done()
		assert.NoError(w.t, bot.Wait(wait))
		conn.Close(context.Background())
	})
	return svc, bot
}

// With less than a fifth of its time left, a waiting card gets one
// reminder in its thread, naming who may confirm it, however many
// replicas sweep; a request already decided gets none.
func TestOneReminderAcrossReplicas(t *testing.T) {
	w := newWorld(t, withPolicy)
	other, otherBot := w.otherReplica()

	w.command(alice, "pipeline pause orders-etl")
	waiting, waitingTS := w.card(`orders-etl`)
	w.command(alice, "pipeline start billing-agg")
	decided, decidedTS := w.card(`billing-agg`)
	_, err := w.svc.Cancel(t.Context(), decided, alice)
	require.NoError(t, err)

	w.clock.Advance(7 * time.Minute) // 3 of 10 minutes left: not yet
	for _, svc := range []*ops.Service{w.svc, other} {
		svc.Sweep(t.Context())
	}
	require.NoError(t, w.bot.Wait(t.Context()))
	assert.Zero(t, w.slack.Count(threadReply(waitingTS, `Reminder`)))

	w.clock.Advance(90 * time.Second) // 1.5 of 10 minutes left
	var wg sync.WaitGroup
	for range 3 { // both replicas' sweeps at once, besides their own
		for _, svc := range []*ops.Service{w.svc, other} {
			wg.Go(func() { svc.Sweep(t.Context()) })
		}
	}
	wg.Wait()
	reminder := w.slack.WaitFor("the reminder", threadReply(waitingTS, `Reminder`))
	assert.Equal(t, "Reminder: "+waiting+" (pipeline pause orders-etl (p-7d3f9a21)) is still waiting for confirmation and expires in 1m30s, at "+
		w.clock.Now().Add(90*time.Second).UTC().Format("15:04:05 MST")+". May confirm: <!subteam^S0ONCALL|@oncall>. "+
		`Policy rule "pipelines" needs two people, so <@U0ALICE>, who asked, cannot confirm it.`, reminder.Form.Get("text"))

	// Once the sweeps after it have run, there is still just the one.
	for _, svc := range []*ops.Service{w.svc, other} {
		svc.Sweep(t.Context())
	}
	require.NoError(t, w.bot.Wait(t.Context()))
	require.NoError(t, otherBot.Wait(t.Context()))
	assert.Equal(t, 1, w.slack.Count(threadReply(waitingTS, `Reminder`)), "one reminder:\n%s", slacktest.Dump(w.slack.Calls()))
	assert.Zero(t, w.slack.Count(threadReply(decidedTS, `Reminder`)), "none for a cancelled request")
	r, err := w.bus.Requests().Get(t.Context(), waiting)
	require.NoError(t, err)
	assert.Equal(t, ops.Pending, r.State, "a reminder decides nothing")
}
