//go:build unix

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/slacktest"
)

// needDescriptors raises the soft file limit to n for a test that holds
// many connections (client and bot ends are in this one process), or skips
// the test where the hard limit is lower.
func needDescriptors(t testing.TB, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		t.Skipf("needs %d open files; the hard limit is %d (raise it: ulimit -Hn %d)", n, lim.Max, n)
	}
	lim.Cur = n
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim))
}

// slackBot runs the bot headless with Slack over HTTP and Alertmanager's
// webhook behind a token.
func slackBot(t *testing.T) (*program, *slacktest.Slack) { return slackBotWith(t, "") }

// slackBotWith is slackBot with more keys in its slack section, like "queue_wait: 10m".
func slackBotWith(t *testing.T, slackKeys string) (*program, *slacktest.Slack) {
	t.Helper()
	api := slacktest.New(t)
	cfg := slackConfig(t.TempDir(), api.APIURL())
	if slackKeys != "" {
		cfg = strings.Replace(cfg, "slack: {", "slack: {"+slackKeys+", ", 1)
	}
	h := startHeadless(t, cfg+strings.Replace(alertRules, "alerts:\n", "alerts:\n  webhook_token: hook-secret\n", 1),
		map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": floodSecret}, strings.NewReader(""))
	return h, api
}

const floodSecret = "flood-signing-secret"

func slashCommand(t *testing.T, h *program, text, trigger string) *http.Request {
	form := url.Values{"team_id": {"T0"}, "channel_id": {"C0"}, "user_id": {"U0ALICE"}, "command": {"/streamops"},
		"text": {text}, "trigger_id": {trigger}}.Encode()
	return slacktest.Signed(t, "http://"+h.addr+"/slack/commands", floodSecret, form, time.Now())
}

// send makes one request on a connection of its own, as Slack's senders
// and load balancers may, and returns the status and body.
func send(client *http.Client, req *http.Request) (int, string, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// servesEveryone checks, once each, that the bot answers /readyz, a signed
// slash command (whose card is posted) and Alertmanager's webhook.
func servesEveryone(t *testing.T, h *program, api *slacktest.Slack) {
	t.Helper()
	client := freshClient()
	ready, err := http.NewRequest(http.MethodGet, "http://"+h.addr+"/readyz", nil)
	require.NoError(t, err)
	code, body, err := send(client, ready)
	require.NoError(t, err, "/readyz")
	assert.Equal(t, http.StatusOK, code, body)

	code, body, err = send(client, slashCommand(t, h, "pipeline pause billing-agg", "flood.1"))
	require.NoError(t, err, "a slash command")
	assert.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, "Working on")
	posted(api, "blocks", "billing-agg (p-1c2b3a45)")

	hook, err := http.NewRequest(http.MethodPost, "http://"+h.addr+"/alerts/alertmanager", strings.NewReader(amBody("firing", "orders-etl")))
	require.NoError(t, err)
	hook.Header.Set("Authorization", "Bearer hook-secret")
	code, body, err = send(client, hook)
	require.NoError(t, err, "Alertmanager's webhook")
	assert.Equal(t, http.StatusOK, code, body)
}

// flood keeps n connections to addr, each doing what hold does until the
// bot closes it or the test ends; one the bot closed is opened again, as an
// attacker would. It returns once every one has been opened.
func flood(t *testing.T, addr string, n int, hold func(ctx context.Context, c net.Conn)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	var up sync.WaitGroup
	up.Add(n)
	for range n {
		wg.Go(func() {
			var d net.Dialer
			first := true
			for ctx.Err() == nil {
				c, err := d.DialContext(ctx, "tcp", addr)
				if err != nil {
					select { // the listen queue is full: try again in a while
					case <-ctx.Done():
					case <-time.After(100 * time.Millisecond):
					}
					continue
				}
				if first {
					first = false
					up.Done()
				}
				stop := context.AfterFunc(ctx, func() { c.Close() })
				hold(ctx, c)
				stop()
				c.Close()
			}
		})
	}
	up.Wait()
}

// 5,000 connections that send nothing, reopened as the bot closes them,
// keep nobody out: /readyz, a slash command and the webhook are served.
func TestIdleConnectionFloodLeavesTheBotServing(t *testing.T) {
	needDescriptors(t, 16_000)
	h, api := slackBot(t)
	flood(t, h.addr, 5000, func(_ context.Context, c net.Conn) {
		c.Read(make([]byte, 1)) // until the bot closes it
	})
	servesEveryone(t, h, api)
}

// 700 connections that send a request body a byte every 3 s, reopened as
// the bot cuts them, keep nobody out.
func TestTrickledBodyFloodLeavesTheBotServing(t *testing.T) {
	needDescriptors(t, 4_000)
	h, api := slackBot(t)
	paths := []string{"/slack/commands", "/alerts/alertmanager"}
	var n atomic.Int64
	flood(t, h.addr, 700, func(ctx context.Context, c net.Conn) {
		path := paths[n.Add(1)%2]
		if _, err := fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n", path); err != nil {
			return
		}
		tick := time.NewTicker(3 * time.Second)
		defer tick.Stop()
		for {
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	servesEveryone(t, h, api)
}

// predialed is a client whose first n requests each go on a connection
// opened beforehand, as a load balancer holds them ready; all are open
// before any request is sent.
func predialed(t testing.TB, addr string, n int) *http.Client {
	conns := make(chan net.Conn, n)
	for range n {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		conns <- c
	}
	var d net.Dialer
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			select {
			case c := <-conns:
				return c, nil
			default:
				return d.DialContext(ctx, network, addr)
			}
		},
	}}
}

// atOnce sends reqs all at the same moment and hands each answer to check;
// it returns how long each took, sorted.
func atOnce(client *http.Client, reqs []*http.Request, check func(i, code int, body string, err error)) []time.Duration {
	took := make([]time.Duration, len(reqs))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, req := range reqs {
		wg.Go(func() {
			<-start
			t0 := time.Now()
			code, body, err := send(client, req)
			took[i] = time.Since(t0)
			check(i, code, body, err)
		})
	}
	close(start)
	wg.Wait()
	slices.Sort(took)
	return took
}

// 1,000 slash commands at once, each on a connection of its own: every one
// is acknowledged with 200, none is refused, and each gets its card.
func TestCommandBurstIsAnsweredAndCarriedOut(t *testing.T) {
	const n = 1000
	needDescriptors(t, 4*n)
	h, api := slackBotWith(t, "queue_wait: 10m")
	reqs := make([]*http.Request, n)
	for i := range reqs {
		reqs[i] = slashCommand(t, h, "pipeline pause orders-etl", fmt.Sprintf("%d.burst", i))
	}
	// Each dials as it sends: connections made all before any request can
	// outlast the server's header timeout on a loaded machine.
	fresh := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}
	took := atOnce(fresh, reqs, func(i, code int, body string, err error) {
		if assert.NoError(t, err, "command %d", i) {
			assert.Equal(t, http.StatusOK, code)
			assert.Contains(t, body, "Working on", "taken, not refused")
		}
	})
	t.Logf("%d slash commands at once: ack p50 %s, p99 %s, max %s", n, took[n/2], took[n*99/100-1], took[n-1])
	cards := func() int { return api.Count(slacktest.Posted("blocks", "orders-etl (p-7d3f9a21)")) }
	// How soon is BenchmarkCommandBurst's to measure; here every command
	// must be carried out, however loaded the machine (the queue waits long).
	assert.Eventually(t, func() bool { return cards() == n }, 10*time.Minute, 50*time.Millisecond, "a card for each command")
	assert.Equal(t, n, cards())
	assert.NotContains(t, h.stderr.String(), "was dropped", "nothing waited too long in the queue")
}
