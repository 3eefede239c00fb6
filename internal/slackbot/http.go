package slackbot

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// maxBody is more than any slash command or click Slack sends.
const maxBody = 1 << 20

// Routes adds Slack's endpoints to mux when HTTP mode is set up.
func (b *Bot) Routes(mux *http.ServeMux) {
	if b.cfg.SigningSecret == "" {
		return
	}
	mux.Handle("POST /slack/commands", b.verified(b.serveCommand))
	mux.Handle("POST /slack/interactions", b.verified(b.serveInteraction))
	mux.Handle("POST /slack/events", b.verified(b.serveEvent))
}

// verifiedHandler serves a request whose body was read and verified.
type verifiedHandler func(w http.ResponseWriter, r *http.Request, body []byte)

// verified lets through only requests signed with the signing secret
// (v0 HMAC-SHA256 over the raw body, at most 5 minutes old, compared in
// constant time), with the body read into memory for next. Anything else
// gets 401 and causes nothing, not even a log of its body.
func (b *Bot) verified(next verifiedHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBody {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		body, err := readBody(w, r)
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
		if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
			// Told apart by httpDelivery, resent or not; this is for whoever reads the log.
			b.log.Debug("Slack resent a delivery", "path", r.URL.Path, "retry", n, "reason", r.Header.Get("X-Slack-Retry-Reason"))
		}
		next(w, r, body)
	})
}

// readBody reads at most maxBody bytes, in one allocation when the length is known.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	in := http.MaxBytesReader(w, r.Body, maxBody)
	if r.ContentLength < 0 {
		return io.ReadAll(in)
	}
	body := make([]byte, r.ContentLength)
	_, err := io.ReadFull(in, body)
	return body, err
}

func (b *Bot) serveCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	cmd, err := decodeCommand(body)
	if errors.Is(err, errSSLCheck) {
		w.WriteHeader(http.StatusOK)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeAck(w, b.command(r.Context(), httpDelivery(r, body), cmd))
}

func (b *Bot) serveInteraction(w http.ResponseWriter, r *http.Request, body []byte) {
	cb, err := decodeInteraction(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeJSON(w, b.interaction(r.Context(), httpDelivery(r, body), cb))
}

// serveEvent answers the Events API: its URL check with the challenge,
// events through the dispatcher.
func (b *Bot) serveEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	ev, err := decodeEvent(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if check, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent); ok {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, check.Challenge)
		return
	}
	b.event(r.Context(), httpDelivery(r, body), ev)
	w.WriteHeader(http.StatusOK)
}

// httpDelivery names a delivery over HTTP by its path and signed body. The
// body names one command or click (its trigger_id, response_url), and is
// the same when Slack sends it again (X-Slack-Retry-Num, signed anew with a
// later timestamp) or a proxy retries it; the timestamp is left out, as it
// would tell Slack's retries apart.
func httpDelivery(r *http.Request, body []byte) string {
	return r.URL.Path + "\n" + string(body)
}

// ack is the answer Slack shows the person who typed a command, ephemerally.
type ack struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

func writeAck(w http.ResponseWriter, text string) {
	if text == "" {
		writeJSON(w, nil)
		return
	}
	writeJSON(w, ack{ResponseType: slack.ResponseTypeEphemeral, Text: text})
}

// writeJSON acks with v as the body; nil: an empty 200.
func writeJSON(w http.ResponseWriter, v any) {
	if v == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	body, err := json.Marshal(v)
	if err != nil {
		w.WriteHeader(http.StatusOK) // an ack without its text is still an ack
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}
