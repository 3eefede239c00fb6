package slackbot

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/fakeclock"
	"github.com/streamops/streamops/internal/slacktest"
)

// holdFirstAnswer holds the bot's first answer on a response_url until
// release is called, so that the worker sending it stays busy.
func (w *world) holdFirstAnswer() (arrived <-chan string, release func()) {
	got := make(chan string, 1)
	hold := make(chan struct{})
	w.slack.SetBefore(func(method string, _ url.Values) *slacktest.Answer {
		if strings.HasPrefix(method, "response_url ") {
			select {
			case got <- method:
				<-hold
			default:
			}
		}
		return nil
	})
	return got, sync.OnceFunc(func() { close(hold) })
}

func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(15 * time.Second):
		t.Fatalf("no %s within 15s", what)
		var zero T
		return zero
	}
}

// With every worker busy, commands wait their turn rather than being
// refused; each is carried out once a worker is free.
func TestCommandsQueueWhileTheWorkersAreBusy(t *testing.T) {
	w := newWorld(t, func(o *setup) { o.bot.Workers = 1 })
	arrived, release := w.holdFirstAnswer()
	defer release()
	_, first, _ := w.command(alice, "help")
	assert.Equal(t, "Working on `help`…", first)
	waitFor(t, arrived, "answer to the first command")
	for range 3 {
		_, text, _ := w.command(alice, "pipeline show orders-etl")
		assert.Equal(t, "Working on `pipeline show orders-etl`…", text, "queued, not refused")
	}
	release()
	require.NoError(t, w.bot.Wait(t.Context()))
	assert.Equal(t, 3, w.slack.Count(slacktest.Containing("response_url cmd-", `Pipeline orders-etl \(p-7d3f9a21\): RUNNING`)))
}

// Beyond queue_limit what arrives is refused at once, and said so; what was
// queued is still carried out.
func TestFullQueueRefusesAtOnce(t *testing.T) {
	w := newWorld(t, func(o *setup) { o.bot.Workers, o.bot.QueueLimit = 1, 1 })
	arrived, release := w.holdFirstAnswer()
	defer release()
	w.command(alice, "help")
	waitFor(t, arrived, "answer to the first command")
	_, queued, _ := w.command(alice, "pipeline show orders-etl")
	assert.Equal(t, "Working on `pipeline show orders-etl`…", queued)
	code, refused, _ := w.command(alice, "pipeline show billing-agg")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, full, refused)
	release()
	require.NoError(t, w.bot.Wait(t.Context()))
	assert.Equal(t, 1, w.slack.Count(slacktest.Containing("response_url cmd-", `Pipeline orders-etl`)))
	assert.Zero(t, w.slack.Count(slacktest.Containing("response_url cmd-", `billing-agg`)), "the refused command was not carried out")
}

// A command or click that waited longer than queue_wait is dropped: nothing
// is done, and its sender is told why on its response_url.
func TestWhatWaitedTooLongIsDroppedAndSaid(t *testing.T) {
	clock := fakeclock.New(time.Now())
	w := newWorld(t, func(o *setup) { o.bot.Workers, o.bot.QueueWait, o.bot.Now = 1, time.Minute, clock.Now })
	w.command(alice, "pipeline pause orders-etl")
	id, ts := w.card(`orders-etl`)
	w.slack.WaitFor("the answer to the command", slacktest.Containing("response_url cmd-", `waiting for confirmation`))

	arrived, release := w.holdFirstAnswer()
	defer release()
	w.command(alice, "help")
	waitFor(t, arrived, "answer to the help command")
	_, _, late := w.command(alice, "pipeline stop orders-etl")
	_, lateClick := w.click(bob, "confirm", id, ts)
	clock.Advance(time.Minute + 5*time.Second)
	release()
	require.NoError(t, w.bot.Wait(t.Context()))

	w.slack.WaitFor("the dropped command's explanation", slacktest.Containing("response_url cmd-"+late,
		"`pipeline stop orders-etl` waited 1m5s for the bot, which had more to do than it could: it was not carried out and nothing was done. Send it again if it is still needed."))
	w.slack.WaitFor("the dropped click's explanation", slacktest.Containing("response_url click-"+lateClick,
		"Your confirm of "+id+" waited 1m5s for the bot, which had more to do than it could: it was not carried out and "+id+" is unchanged."))
	assert.Zero(t, w.enosPosts.Load(), "the dropped click did nothing")
	assert.Equal(t, 1, w.slack.Count(func(c slacktest.Call) bool { return c.Method == "chat.postMessage" && c.Form.Get("thread_ts") == "" }), "no card for the dropped command")
}
