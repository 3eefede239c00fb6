package slackbot

import (
	"context"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slacktest"
	"github.com/streamops/streamops/internal/testwait"
)

// alertRequest makes a pending request as an alert rule would.
func alertRequest(t *testing.T, w *world) ops.Request {
	t.Helper()
	reply, err := w.svc.Handle(context.Background(), ops.Input{
		Text: "pipeline pause orders-etl", User: "alert", Origin: ops.Origin{Frontend: "alert", Channel: channel},
		Alert: &ops.Alert{Rule: "pause-backlogged", Name: "OrdersBacklog", Fired: 1},
	})
	require.NoError(t, err)
	require.NotNil(t, reply.Request)
	return *reply.Request
}

// A card Slack refuses (its blocks) is posted as text, so the channel
// still sees the request.
func TestRefusedAlertCardFallsBackToText(t *testing.T) {
	w := newWorld(t)
	w.slack.SetBefore(func(m string, form url.Values) *slacktest.Answer {
		if m == "chat.postMessage" && form.Get("blocks") != "" {
			return &slacktest.Answer{Status: 200, Body: `{"ok":false,"error":"invalid_blocks"}`}
		}
		return nil
	})
	r := alertRequest(t, w)
	w.bot.ShowCard(context.Background(), r)
	c := w.slack.WaitFor("the card as text", slacktest.Containing("chat.postMessage", `Slack would not show this request's card: invalid_blocks`))
	require.Contains(t, c.Form.Get("text"), "orders-etl")
	require.Equal(t, channel, c.Form.Get("channel"))
	testwait.Until(t, func() bool {
		stored, err := w.svc.Lookup(context.Background(), r.ID)
		return err == nil && stored.Origin.Message != ""
	}, func() string { return "where the text is is stored, so the outcome updates it" })
}

// A card Slack could not take (it was down) is posted on the next firing.
func TestAlertCardSlackMissedIsPostedOnTheNextFiring(t *testing.T) {
	w := newWorld(t)
	var down atomic.Bool
	down.Store(true)
	w.slack.SetBefore(func(m string, _ url.Values) *slacktest.Answer {
		if m == "chat.postMessage" && down.Load() {
			return &slacktest.Answer{Status: 200, Body: `{"ok":false,"error":"fatal_error"}`}
		}
		return nil
	})
	r := alertRequest(t, w)
	w.bot.ShowCard(context.Background(), r)
	for _, line := range []string{"Slack refused an alert's card", "the next firing posts it again"} {
		testwait.Until(t, func() bool { return strings.Contains(w.logs.String(), line) }, func() string { return "no log line " + line + "\n" + w.logs.String() })
	}
	down.Store(false)
	r, err := w.svc.AddFirings(context.Background(), r.ID, 1, w.clock.Now())
	require.NoError(t, err)
	w.bot.RefreshCard(context.Background(), r)
	w.slack.WaitFor("the card", slacktest.Containing("chat.postMessage", `orders-etl`))
	require.Equal(t, 1, w.slack.Count(slacktest.Method("chat.postMessage")))
}

// Firings while the request's call is under way are counted, and kept when
// the outcome is stored.
func TestFiringsWhileExecutingAreCounted(t *testing.T) {
	w := newWorld(t)
	r := alertRequest(t, w)
	w.hold()
	done := make(chan ops.Request, 1)
	go func() {
		r, _ := w.svc.Confirm(context.Background(), r.ID, alice)
		done <- r
	}()
	testwait.Until(t, func() bool {
		cur, err := w.svc.Lookup(context.Background(), r.ID)
		return err == nil && cur.State == ops.Executing
	}, func() string { return r.ID + " never executing" })
	got, err := w.svc.AddFirings(context.Background(), r.ID, 3, w.clock.Now())
	require.NoError(t, err, "a firing while the call is under way is counted")
	require.Equal(t, 4, got.Alert.Fired)
	w.open()
	final := <-done
	require.Equal(t, ops.Succeeded, final.State)
	stored, err := w.svc.Lookup(context.Background(), r.ID)
	require.NoError(t, err)
	require.Equal(t, 4, stored.Alert.Fired, "the outcome keeps the firings counted during the call")
	_, err = w.svc.AddFirings(context.Background(), r.ID, 1, w.clock.Now())
	require.ErrorIs(t, err, ops.ErrNotPending, "an ended request counts no more")
}
