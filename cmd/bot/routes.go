package main

import (
	"context"
	"net/http"
	"time"

	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/metrics"
	"github.com/streamops/streamops/internal/slackbot"
)

// routes lists every HTTP endpoint the bot serves.
// sb is nil without Slack.
func routes(b *bus.Bus, m *metrics.Metrics, sb *slackbot.Bot) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := b.Ready(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		if sb != nil {
			if err := sb.Ready(ctx); err != nil {
				http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", m.Handler())
	if sb != nil {
		sb.Routes(mux) // POST /slack/commands, POST /slack/interactions in HTTP mode
	}
	return mux
}
