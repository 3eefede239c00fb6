package slackbot

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/slacktest"
	"github.com/streamops/streamops/internal/testwait"
)

// Twenty people clicking confirm at once: one provider call, one outcome
// in the thread, and everyone else told it was already done.
func TestConcurrentConfirmClicksActOnce(t *testing.T) {
	w := newWorld(t, func(o *setup) { o.bot.Workers = 64 })
	w.command(alice, "pipeline pause orders-etl")
	id, ts := w.card(`orders-etl`)

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			code, _ := w.click(bob, "confirm", id, ts)
			assert.Equal(t, http.StatusOK, code)
		})
	}
	wg.Wait()
	w.slack.WaitFor("the status follow-up", threadReply(ts, `is PAUSED after`))
	testwait.Until(t, func() bool { return w.slack.Count(slacktest.Containing("response_url click-", `already`)) >= 19 },
		func() string { return "19 clicks told it was already done:\n" + slacktest.Dump(w.slack.Calls()) })
	assert.Equal(t, 19, w.slack.Count(slacktest.Containing("response_url click-", `(already being carried out|already confirmed by <@`+bob+`>)`)))
	assert.EqualValues(t, 1, w.enosPosts.Load(), "one provider call")
	assert.Equal(t, 1, w.slack.Count(threadReply(ts, `job ID p-7d3f9a21, request ID`)), "one outcome reply")
}

// A retried delivery of a command or a click is not worked on twice.
func TestRetriedDeliveriesCauseNothingTwice(t *testing.T) {
	w := newWorld(t)
	body := w.commandBody(alice, "pipeline pause orders-etl", "t-retried")
	for retry := range 3 {
		req := signed(t, w.srv.URL+"/slack/commands", body, time.Now())
		if retry > 0 {
			req.Header.Set("X-Slack-Retry-Num", "1")
			req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
		}
		code, _ := do(t, req)
		assert.Equal(t, http.StatusOK, code)
	}
	id, ts := w.card(`orders-etl`)
	click := w.clickBody(bob, "confirm", id, ts, "t-click")
	for range 3 {
		code, _ := do(t, signed(t, w.srv.URL+"/slack/interactions", click, time.Now()))
		assert.Equal(t, http.StatusOK, code)
	}
	w.slack.WaitFor("the status follow-up", threadReply(ts, `is PAUSED after`))
	require.NoError(t, w.bot.Wait(t.Context()))
	assert.Equal(t, 1, w.slack.Count(func(c slacktest.Call) bool { return c.Method == "chat.postMessage" && c.Form.Get("thread_ts") == "" }), "one card")
	assert.Zero(t, w.slack.Count(slacktest.Containing("response_url click-", `already`)), "the retried clicks were not answered as new clicks")
	assert.EqualValues(t, 1, w.enosPosts.Load())
}

// Clicks on requests that are finished, cancelled, expired or unknown get an
// explanation only for the person who clicked, and change nothing.
func TestClicksOnDecidedRequestsChangeNothing(t *testing.T) {
	w := newWorld(t)
	w.command(alice, "pipeline stop orders-etl")
	cancelled, cts := w.card(`pipeline stop orders-etl`)
	w.click(bob, "cancel", cancelled, cts)
	w.slack.WaitFor("the cancelled card", cardUpdate(cts, `Cancelled by <@`+bob+`>: nothing was done\.`))
	w.click(alice, "confirm", cancelled, cts)
	w.slack.WaitFor("an explanation", slacktest.Containing("response_url click-", cancelled+` was cancelled by <@`+bob+`>: nothing was done\.`))

	w.click(alice, "confirm", "r-000000", "1764500000.999999")
	w.slack.WaitFor("an explanation", slacktest.Containing("response_url click-", `there is no request r-000000`))

	w.command(alice, "pipeline pause orders-etl")
	expired, ets := w.card(`pipeline pause orders-etl`)
	w.clock.Advance(11 * time.Minute) // past the expiry: the sweep ends it
	w.slack.WaitFor("the expired card", cardUpdate(ets, `Expired without confirmation: nothing was done\.`))
	w.slack.WaitFor("the expiry in the thread", threadReply(ets, `(?i)expired unconfirmed: nothing was done\.`))
	w.click(bob, "confirm", expired, ets)
	w.slack.WaitFor("an explanation", slacktest.Containing("response_url click-", expired+` expired at .* without confirmation`))

	require.NoError(t, w.bot.Wait(t.Context()))
	assert.Zero(t, w.enosPosts.Load())
	assert.Equal(t, 2, w.slack.Count(slacktest.Method("chat.update")), "one update per card, none after the clicks")
	for _, c := range w.slack.Calls() {
		if c.Method == "chat.update" {
			assert.NotContains(t, c.Form.Get("blocks"), `"actions"`)
		}
	}
}

// The click can come before chat.postMessage has answered (a fast teammate):
// its outcome still reaches the card's thread.
func TestClickBeforeTheCardPostReturned(t *testing.T) {
	w := newWorld(t)
	release := make(chan struct{})
	arrived := make(chan url.Values, 1)
	w.slack.SetBefore(func(method string, form url.Values) *slacktest.Answer {
		if method == "chat.postMessage" && form.Get("thread_ts") == "" {
			arrived <- form
			<-release
		}
		return nil
	})
	w.command(alice, "pipeline pause orders-etl")
	form := <-arrived
	id := requestIDIn.FindString(form.Get("blocks"))
	const ts = "1764500000.424242" // the ts Slack gave the message people see
	w.click(bob, "confirm", id, ts)
	w.slack.WaitFor("the card showing the outcome", cardUpdate(ts, `Paused pipeline orders-etl`))
	w.slack.WaitFor("the outcome in the thread", threadReply(ts, `job ID p-7d3f9a21, request ID`))
	w.slack.WaitFor("the status follow-up", threadReply(ts, `is PAUSED after`))
	w.slack.SetBefore(nil)
	close(release)
}

// A provider that does not answer in time: the card and the thread say the
// outcome is unknown, so nobody asks again blindly.
func TestTimeoutIsAnUncertainOutcomeInTheThread(t *testing.T) {
	w := newWorld(t, func(o *setup) { o.enosTimeout = 100 * time.Millisecond })
	// A read first, so that the token is at hand: a token fetch that times
	// out sends nothing and is no uncertain outcome.
	w.command(alice, "pipeline show orders-etl")
	w.slack.WaitFor("the read", slacktest.Containing("response_url cmd-", `Pipeline orders-etl \(p-7d3f9a21\): RUNNING`))
	w.command(alice, "pipeline pause orders-etl")
	id, ts := w.card(`orders-etl`)
	w.hold()
	w.click(bob, "confirm", id, ts)
	w.slack.WaitFor("the uncertain outcome in the thread", threadReply(ts, `Outcome uncertain: EnOS did not answer in time, so the call to pause pipeline orders-etl \(p-7d3f9a21\) may have taken effect\.`))
	w.slack.WaitFor("the card with it", cardUpdate(ts, `Outcome uncertain`))
	w.open()
}
