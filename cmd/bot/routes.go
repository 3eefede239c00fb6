package main

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/metrics"
	"github.com/streamops/streamops/internal/slackbot"
)

// routes lists every HTTP endpoint the bot serves.
// sb is nil without Slack; alerts takes Alertmanager's webhook.
func routes(b *bus.Bus, m *metrics.Metrics, sb *slackbot.Bot, alerts http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	ready := readiness{check: b.Ready}
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := ready.get(r.Context()); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		if sb != nil {
			if err := sb.Ready(r.Context()); err != nil {
				http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", m.Handler())
	mux.Handle("POST /alerts/alertmanager", alerts)
	if sb != nil {
		sb.Routes(mux) // POST /slack/commands, POST /slack/interactions in HTTP mode
	}
	return mux
}

// readiness runs the check (a write to JetStream) at most once a second,
// however often it is asked.
type readiness struct {
	check func(context.Context) error
	mu    sync.Mutex
	at    time.Time
	err   error
}

func (r *readiness) get(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.at) < time.Second {
		return r.err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	r.err, r.at = r.check(ctx), time.Now()
	return r.err
}
