package slackbot

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slacktest"
)

// Read commands and bad input answer only the person who typed them, in
// the console's words, and create nothing.
func TestReadsAndBadInputAnswerEphemerally(t *testing.T) {
	w := newWorld(t)
	for text, want := range map[string]string{
		"help":                                  "Commands \\(state-changing ones wait for a confirmation\\)",
		"pending":                               `No requests are waiting for confirmation\.`,
		"pipeline list":                         `orders-etl`,
		"pipeline show orders-etl":              `Pipeline orders-etl \(p-7d3f9a21\): RUNNING`,
		"job show orders-dr":                    `orders-dr`,
		"pipeline explode orders-etl":           `unknown command "pipeline explode"`,
		"pipeline pause nosuch":                 `unknown pipeline alias "nosuch"\. Known: billing-agg, orders-etl; or give the pipeline ID`,
		"pipeline pause ../etc":                 `"\.\./etc" is not a valid pipeline ID or alias`,
		"job switch orders-dr sink=not-an-addr": `not-an-addr`,
		"confirm r-000000":                      `there is no request r-000000`,
	} {
		_, _, trigger := w.command(alice, text)
		got := w.slack.WaitFor("the answer to "+text, func(c slacktest.Call) bool { return c.Method == "response_url cmd-"+trigger })
		assert.Equal(t, "ephemeral", got.JSON["response_type"], text)
		assert.Regexp(t, want, got.JSON["text"], text)
	}
	require.NoError(t, w.bot.Wait(t.Context()))
	assert.Zero(t, w.slack.Count(slacktest.Method("chat.postMessage")), "nothing in the channel")
	open, err := w.svc.Pending(t.Context())
	require.NoError(t, err)
	assert.Empty(t, open)
}

// Without the bot in the channel, the card goes under the command through
// its response_url, and the requester is told how to invite the bot.
func TestNotInChannelPostsThroughTheResponseURL(t *testing.T) {
	for _, slackErr := range []string{"not_in_channel", "channel_not_found"} {
		t.Run(slackErr, func(t *testing.T) {
			w := newWorld(t)
			w.slack.SetBefore(func(method string, _ url.Values) *slacktest.Answer {
				if method == "chat.postMessage" {
					return &slacktest.Answer{Status: http.StatusOK, Body: `{"ok":false,"error":"` + slackErr + `"}`}
				}
				return nil
			})
			_, _, trigger := w.command(alice, "pipeline pause orders-etl")
			card := w.slack.WaitFor("the card under the command", func(c slacktest.Call) bool {
				return c.Method == "response_url cmd-"+trigger && c.JSON["response_type"] == "in_channel" && c.JSON["blocks"] != nil
			})
			id := requestIDIn.FindString(card.Text())
			w.slack.WaitFor("how to invite the bot", slacktest.Containing("response_url cmd-"+trigger, `Request `+id+` is waiting for confirmation .*/invite @streamops`))

			// A click on that card: it is updated through the click's response_url.
			_, clickTrigger := w.click(bob, "confirm", id, "")
			w.slack.WaitFor("the card replaced", func(c slacktest.Call) bool {
				return c.Method == "response_url click-"+clickTrigger && c.JSON["replace_original"] == true && strings.Contains(c.Text(), "Paused pipeline")
			})
			w.slack.WaitFor("the outcome", slacktest.Containing("response_url click-"+clickTrigger, `job ID p-7d3f9a21, request ID`))
		})
	}
}

// Slack rate-limiting the bot: it waits as long as Retry-After says and
// the message is still delivered.
func TestRateLimitIsWaitedOut(t *testing.T) {
	var waited []time.Duration
	w := newWorld(t, func(o *setup) {
		o.bot.Wait = func(_ context.Context, d time.Duration) error { waited = append(waited, d); return nil }
	})
	limited := 2
	w.slack.SetBefore(func(method string, _ url.Values) *slacktest.Answer {
		if method == "chat.postMessage" && limited > 0 {
			limited--
			return &slacktest.Answer{Status: http.StatusTooManyRequests, RetryAfter: 7}
		}
		return nil
	})
	w.command(alice, "pipeline pause orders-etl")
	w.card(`orders-etl`)
	require.NoError(t, w.bot.Wait(t.Context()))
	assert.Equal(t, []time.Duration{7 * time.Second, 7 * time.Second}, waited)
}

// invalid_auth, a 5xx or a timeout from Slack after the call: logged with
// the request ID, and the provider's outcome is kept by ops all the same.
func TestSlackFailuresDoNotLoseTheOutcome(t *testing.T) {
	for name, fail := range map[string]*slacktest.Answer{
		"invalid_auth": {Status: http.StatusOK, Body: `{"ok":false,"error":"invalid_auth"}`},
		"5xx":          {Status: http.StatusBadGateway, Body: "bad gateway"},
		"timeout":      nil,
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, func(o *setup) { o.bot.CallTimeout = 200 * time.Millisecond })
			w.command(alice, "pipeline pause orders-etl")
			id, ts := w.card(`orders-etl`)
			release := make(chan struct{})
			defer close(release)
			w.slack.SetBefore(func(method string, _ url.Values) *slacktest.Answer {
				if !strings.HasPrefix(method, "chat.") {
					return nil
				}
				if fail == nil {
					<-release // longer than the call's timeout
					return &slacktest.Answer{Status: http.StatusGatewayTimeout}
				}
				return fail
			})
			w.click(bob, "confirm", id, ts)
			require.NoError(t, w.bot.Wait(t.Context()))
			assert.EqualValues(t, 1, w.enosPosts.Load())
			assert.Regexp(t, `"msg":"Slack Web API call failed","method":"chat\.(update|postMessage)","request":"`+id+`"`, w.logs.String())

			r, err := w.svc.Confirm(t.Context(), id, bob) // what `confirm` or `pending` would show
			var bad *ops.InputError
			require.ErrorAs(t, err, &bad)
			assert.Equal(t, ops.Succeeded, r.State)
			assert.Regexp(t, `job ID p-7d3f9a21, request ID [0-9a-f-]{8,}`, r.Outcome.Summary)
		})
	}
}

// The ack does not wait for a provider or for Slack's Web API, even when
// each takes 10 s to answer. The bound is Slack's 3 s, not what an idle
// machine does: a loaded CI runner under -race must not fail it.
func TestAckIsImmediateWhateverProvidersAndSlackDo(t *testing.T) {
	w := newWorld(t)
	w.command(alice, "pipeline pause orders-etl")
	id, ts := w.card(`orders-etl`)

	slow := make(chan struct{})
	w.slack.SetBefore(func(method string, _ url.Values) *slacktest.Answer {
		if method != "auth.test" {
			select {
			case <-slow:
			case <-time.After(10 * time.Second):
			}
		}
		return nil
	})
	w.hold() // every provider call waits until w.open
	defer func() { close(slow); w.open() }()

	for _, text := range []string{"pipeline show orders-etl", "job switch orders-dr sink=10.0.0.5:9092", "pipeline pause billing-agg", "pending"} {
		start := time.Now()
		code, ackText, _ := w.command(alice, text)
		took := time.Since(start)
		assert.Equal(t, http.StatusOK, code)
		assert.NotEmpty(t, ackText)
		assert.Less(t, took, 3*time.Second, "ack of %q took %s", text, took)
	}
	start := time.Now()
	code, _ := w.click(bob, "confirm", id, ts)
	assert.Equal(t, http.StatusOK, code)
	assert.Less(t, time.Since(start), 3*time.Second, "ack of a click")
}

// Slack failing (5xx) a few times while a confirmation is carried out: the
// card and the thread get there, after waits that double.
func TestSlack5xxIsRetriedWithBackoff(t *testing.T) {
	var mu sync.Mutex
	var waited []time.Duration
	w := newWorld(t, func(o *setup) {
		o.bot.Wait = func(_ context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			waited = append(waited, d)
			return nil
		}
	})
	w.command(alice, "pipeline pause orders-etl")
	id, ts := w.card(`orders-etl`)
	require.NoError(t, w.bot.Wait(t.Context()))
	failures := map[string]int{}
	w.slack.SetBefore(func(method string, form url.Values) *slacktest.Answer {
		mu.Lock()
		defer mu.Unlock()
		if method == "chat.update" || method == "chat.postMessage" && form.Get("thread_ts") == ts {
			if failures[method] < 2 {
				failures[method]++
				return &slacktest.Answer{Status: http.StatusServiceUnavailable, Body: "upstream unavailable"}
			}
		}
		return nil
	})
	w.click(bob, "confirm", id, ts)
	w.slack.WaitFor("the card showing the outcome", cardUpdate(ts, `Paused pipeline orders-etl`))
	w.slack.WaitFor("the outcome in the thread", threadReply(ts, `job ID p-7d3f9a21, request ID`))
	require.NoError(t, w.bot.Wait(t.Context()))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]int{"chat.update": 2, "chat.postMessage": 2}, failures)
	assert.Subset(t, waited, []time.Duration{time.Second, 2 * time.Second})
	assert.NotContains(t, waited, 4*time.Second, "each call got through on its third try")
	assert.Zero(t, w.slack.Count(slacktest.Method("response_url click-")), "no fallback was needed")
}

// Slack's Web API failing for good while a click's call runs out of time:
// after a bounded number of tries, the click's response_url carries the
// uncertain outcome to the card and the channel.
func TestSlackDownDuringConfirmationAnswersThroughTheClick(t *testing.T) {
	w := newWorld(t, func(o *setup) { o.enosTimeout = 100 * time.Millisecond })
	w.command(alice, "pipeline show orders-etl") // the token at hand, as in TestTimeoutIsAnUncertainOutcomeInTheThread
	w.slack.WaitFor("the read", slacktest.Containing("response_url cmd-", `RUNNING`))
	w.command(alice, "pipeline pause orders-etl")
	id, ts := w.card(`orders-etl`)
	require.NoError(t, w.bot.Wait(t.Context()))
	var tries atomic.Int64
	w.slack.SetBefore(func(method string, _ url.Values) *slacktest.Answer {
		if strings.HasPrefix(method, "chat.") {
			tries.Add(1)
			return &slacktest.Answer{Status: http.StatusInternalServerError, Body: "internal error"}
		}
		return nil
	})
	w.hold()
	_, trigger := w.click(bob, "confirm", id, ts)
	w.slack.WaitFor("the card replaced through the click", func(c slacktest.Call) bool {
		return c.Method == "response_url click-"+trigger && c.JSON["replace_original"] == true && strings.Contains(c.Text(), "Outcome uncertain")
	})
	w.slack.WaitFor("the outcome in the channel through the click", func(c slacktest.Call) bool {
		return c.Method == "response_url click-"+trigger && c.JSON["response_type"] == "in_channel" &&
			strings.Contains(c.Text(), "Outcome uncertain: EnOS did not answer in time")
	})
	w.open()
	require.NoError(t, w.bot.Wait(t.Context()))
	assert.Positive(t, tries.Load())
	assert.LessOrEqual(t, tries.Load(), int64(5*4), "each message is tried at most MaxAttempts times")
}
