package slackbot

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/slack-go/slack"
)

// maxBody is more than any slash command or click Slack sends.
const maxBody = 1 << 20

// Routes adds Slack's endpoints to mux when HTTP mode is set up.
func (b *Bot) Routes(mux *http.ServeMux) {
	if b.cfg.SigningSecret == "" {
		return
	}
	mux.Handle("POST /slack/commands", b.Verified(http.HandlerFunc(b.serveCommand)))
	mux.Handle("POST /slack/interactions", b.Verified(http.HandlerFunc(b.serveInteraction)))
}

// Verified lets through only requests signed with the signing secret
// (v0 HMAC-SHA256 over the raw body, at most 5 minutes old, compared in
// constant time), with the body read into memory for next. Anything else
// gets 401 and causes nothing, not even a log of its body.
func (b *Bot) Verified(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBody {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "could not read the request", http.StatusBadRequest)
			return
		}
		sv, err := slack.NewSecretsVerifier(r.Header, b.cfg.SigningSecret)
		if err == nil {
			sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			b.log.Debug("refused a request without a valid Slack signature", "path", r.URL.Path, "remote", r.RemoteAddr)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body)) // verified: next may read it
		next.ServeHTTP(w, r)
	})
}

func (b *Bot) serveCommand(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body) // in memory since Verified
	cmd, err := decodeCommand(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeAck(w, b.command(r.Context(), cmd))
}

func (b *Bot) serveInteraction(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	cb, err := decodeInteraction(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b.interaction(r.Context(), cb)
	w.WriteHeader(http.StatusOK)
}

// ack is the answer Slack shows the person who typed a command, ephemerally.
type ack struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

func writeAck(w http.ResponseWriter, text string) {
	if text == "" {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(ack{ResponseType: slack.ResponseTypeEphemeral, Text: text})
}
