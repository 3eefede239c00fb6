package slackbot

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// errSSLCheck is Slack checking the command URL's certificate: it wants a 200.
var errSSLCheck = errors.New("Slack's certificate check")

// decodeCommand reads a slash command from its form-encoded body, into
// slack-go's type, as Socket Mode delivers it.
func decodeCommand(body []byte) (slack.SlashCommand, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return slack.SlashCommand{}, fmt.Errorf("not a form: %w", err)
	}
	if form.Get("ssl_check") == "1" {
		return slack.SlashCommand{}, errSSLCheck
	}
	cmd := slack.SlashCommand{
		Token: form.Get("token"), TeamID: form.Get("team_id"), TeamDomain: form.Get("team_domain"),
		EnterpriseID: form.Get("enterprise_id"), EnterpriseName: form.Get("enterprise_name"),
		IsEnterpriseInstall: form.Get("is_enterprise_install") == "true",
		ChannelID:           form.Get("channel_id"), ChannelName: form.Get("channel_name"),
		UserID: form.Get("user_id"), UserName: form.Get("user_name"),
		Command: form.Get("command"), Text: form.Get("text"), ResponseURL: form.Get("response_url"),
		TriggerID: form.Get("trigger_id"), APIAppID: form.Get("api_app_id"),
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

// decodeEvent reads an Events API delivery from its JSON body: a URL check
// or an event callback. The body was verified by its signature, so the
// deprecated verification token is not checked.
func decodeEvent(body []byte) (slackevents.EventsAPIEvent, error) {
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		return slackevents.EventsAPIEvent{}, fmt.Errorf("not an Events API delivery: %w", err)
	}
	return ev, nil
}
