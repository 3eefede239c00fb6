package slackbot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"
)

// decodeCommand reads a slash command from its form-encoded body.
func decodeCommand(body []byte) (slack.SlashCommand, error) {
	req, err := http.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	if err != nil {
		return slack.SlashCommand{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	cmd, err := slack.SlashCommandParse(req)
	if err != nil {
		return slack.SlashCommand{}, fmt.Errorf("not a form: %w", err)
	}
	if cmd.UserID == "" || cmd.ChannelID == "" {
		return slack.SlashCommand{}, errors.New("not a slash command: user_id or channel_id is missing")
	}
	return cmd, nil
}

// decodeInteraction reads a click from its form-encoded body, whose
// payload field is JSON.
func decodeInteraction(body []byte) (slack.InteractionCallback, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return slack.InteractionCallback{}, fmt.Errorf("not a form: %w", err)
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		return slack.InteractionCallback{}, fmt.Errorf("the payload is not an interaction: %w", err)
	}
	if cb.User.ID == "" {
		return slack.InteractionCallback{}, errors.New("the interaction names no user")
	}
	return cb, nil
}
