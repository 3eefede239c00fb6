//go:build unix

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slackbot"
	"github.com/streamops/streamops/internal/slacktest"
)

// burst is the time each of n slash commands sent at once took to be
// acknowledged, and the time until the last answer arrived.
type burst struct {
	acks []time.Duration
	last time.Duration
}

func (r burst) quantile(q float64) time.Duration { return r.acks[int(q*float64(len(r.acks)-1))] }

// answers counts what reached a response_url, and wakes whoever awaits a count.
type answers struct {
	mu   sync.Mutex
	n    int
	want int
	got  chan struct{}
}

func (a *answers) add() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n++
	if a.got != nil && a.n >= a.want {
		close(a.got)
		a.got = nil
	}
}

// await returns a channel closed once k more have arrived.
func (a *answers) await(k int) <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.want, a.got = a.n+k, make(chan struct{})
	return a.got
}

// sendBurst posts n signed `help` commands to addr at once, each on a
// connection of its own, and waits until counted has all n answers.
func sendBurst(b *testing.B, addr, responseURL string, n int, counted *answers) burst {
	b.Helper()
	reqs := make([]*http.Request, n)
	for i := range reqs {
		form := url.Values{"team_id": {"T0"}, "channel_id": {"C0"}, "user_id": {"U0ALICE"}, "command": {"/streamops"},
			"text": {"help"}, "trigger_id": {fmt.Sprintf("%d.%d.bench", time.Now().UnixNano(), i)},
			"response_url": {responseURL}}.Encode()
		reqs[i] = slacktest.Signed(b, "http://"+addr+"/slack/commands", floodSecret, form, time.Now())
	}
	client := predialed(b, addr, n)
	all := counted.await(n)
	t0 := time.Now()
	acks := atOnce(client, reqs, func(i, code int, body string, err error) {
		if err != nil || code != http.StatusOK {
			b.Errorf("command %d: %d %s %v", i, code, body, err)
		}
	})
	select {
	case <-all:
	case <-time.After(time.Minute):
		b.Fatalf("not all %d commands were answered within a minute", n)
	}
	return burst{acks: acks, last: time.Since(t0)}
}

// BenchmarkCommandBurst sends 1,000 and 5,000 slash commands at once, each
// on a connection of its own, through the bot's HTTP server, queue and
// rules, and reports the ack's p50 and p99 and the time until the last
// answer reached its response_url. The baseline, in the same run, is the
// same burst to a handler that only verifies the signature, so the figures
// are ratios: ack-p99/verify-p99 and last-answer/verify-last.
func BenchmarkCommandBurst(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			needDescriptors(b, uint64(3*n))
			log := slog.New(slog.DiscardHandler)
			var answered, verified answers
			respond := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				answered.add()
			}))
			b.Cleanup(respond.Close)

			nats, err := bus.Connect(context.Background(), bus.Config{Listen: "127.0.0.1:-1", StoreDir: b.TempDir()}, log)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { nats.Close(context.Background()) })
			set := ops.Settings{Expiry: 10 * time.Minute, SweepInterval: sweepInterval, CheckInterval: 2 * time.Second,
				CheckTimeout: 2 * time.Minute, AbandonAfter: 5 * time.Minute, TargetWait: 10 * time.Second}
			svc, err := ops.New(set, ops.Deps{Store: nats.Requests(), Claims: nats.Claims(), Events: nats.Events(), Log: log})
			if err != nil {
				b.Fatal(err)
			}
			bot := slackbot.New(svc, nil, slackbot.Config{SigningSecret: floodSecret, Deliveries: nats.Deliveries(), Log: log})
			mux := http.NewServeMux()
			bot.Routes(mux)
			full, err := startHTTP("127.0.0.1:0", mux, log)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(full.close)

			base, err := startHTTP("127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				sv, err := slack.NewSecretsVerifier(r.Header, floodSecret)
				if err == nil {
					sv.Write(body)
					err = sv.Ensure()
				}
				if err != nil {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				verified.add()
			}), log)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(base.close)

			var ack50, ack99, last, ver50, ver99, verLast time.Duration
			for b.Loop() {
				v := sendBurst(b, base.addr, "", n, &verified)
				r := sendBurst(b, full.addr, respond.URL+"/respond", n, &answered)
				ver50, ver99, verLast = ver50+v.quantile(0.5), ver99+v.quantile(0.99), verLast+v.last
				ack50, ack99, last = ack50+r.quantile(0.5), ack99+r.quantile(0.99), last+r.last
			}
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(b.N) }
			b.ReportMetric(ms(ver50), "verify-p50-ms")
			b.ReportMetric(ms(ver99), "verify-p99-ms")
			b.ReportMetric(ms(verLast), "verify-last-ms")
			b.ReportMetric(ms(ack50), "ack-p50-ms")
			b.ReportMetric(ms(ack99), "ack-p99-ms")
			b.ReportMetric(ms(last), "last-answer-ms")
			b.ReportMetric(float64(ack99)/float64(ver99), "ack-p99/verify-p99")
			b.ReportMetric(float64(last)/float64(verLast), "last-answer/verify-last")
		})
	}
}
