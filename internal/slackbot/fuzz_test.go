package slackbot

import (
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack/slackevents"

	"github.com/streamops/streamops/internal/ops"
)

// Whatever a signed sender puts in a command or click body, decoding it
// neither panics nor lets through a delivery without its user.
func FuzzDecodeCommand(f *testing.F) {
	f.Add("team_id=T0&channel_id=C0&user_id=U0&command=%2Fstreamops&text=pipeline+pause+orders-etl&response_url=https%3A%2F%2Fhooks.slack.com%2Fx&trigger_id=1.2")
	f.Add("text=%ZZ&user_id=")
	f.Add("user_id=U0&channel_id=C0&text=job+switch+orders-dr+sink%3D%22a%2Cb%22+now&is_enterprise_install=true")
	f.Add("")
	f.Fuzz(func(t *testing.T, body string) {
		cmd, err := decodeCommand([]byte(body))
		if err == nil && (cmd.UserID == "" || cmd.ChannelID == "") {
			t.Fatalf("accepted a command without user or channel: %q", body)
		}
		if err == nil {
			_ = ackText(cmd.Text, ops.Spec{Kind: "job", ReadsFirst: true}, strings.Fields(cmd.Text))
		}
	})
}

func FuzzDecodeInteraction(f *testing.F) {
	for _, p := range []string{
		`{"type":"block_actions","user":{"id":"U0BOB"},"container":{"type":"message","message_ts":"1.2","channel_id":"C0"},"trigger_id":"t","response_url":"https://hooks.slack.com/a","actions":[{"action_id":"confirm","block_id":"decision","value":"r-7f3a9c","type":"button","action_ts":"1.3"}]}`,
		`{"type":"block_actions","user":{"id":"U0BOB"},"actions":[{"action_id":"cancel","value":"../../etc"}]}`,
		`{"type":"view_submission","user":{"id":"U0"},"view":{"state":{"values":{}}}}`,
		`{"type":"block_actions","user":{"id":""}}`,
		`[]`, `null`, `{"actions":"x"}`,
	} {
		f.Add(url.Values{"payload": {p}}.Encode())
	}
	f.Fuzz(func(t *testing.T, body string) {
		cb, err := decodeInteraction([]byte(body))
		if err == nil && cb.User.ID == "" {
			t.Fatalf("accepted an interaction without a user: %q", body)
		}
	})
}

// Whatever a signed sender puts in an Events API body, decoding it neither
// panics nor lets through a callback without its inner event.
func FuzzDecodeEvent(f *testing.F) {
	for _, typ := range []string{"app_home_opened", "member_joined_channel"} {
		f.Add(string(eventPayload(typ)))
	}
	f.Add(`{"type":"url_verification","challenge":"c"}`)
	f.Add(`{"type":"event_callback","event":null}`)
	f.Add(`{"type":"app_rate_limited","minute_rate_limited":1518467820}`)
	f.Add(`{}`)
	f.Add(`{"type":"event_callback","event":{"type":"app_home_opened","user":"U0ALICE","tab":"messages"}}`)
	f.Add(`{"type":"event_callback","event":{"type":"app_home_opened","user":{"id":"U0ALICE"},"tab":"home"}}`)
	f.Add(`{"type":"event_callback","event":{"type":"app_home_opened","tab":"home","view":{"type":"home","blocks":[{}]}}}`)
	f.Add(`{"type":"event_callback","event":{"type":"app_home_opened","user":"U0ALICE","tab":7}}`)
	f.Fuzz(func(t *testing.T, body string) {
		ev, err := decodeEvent([]byte(body))
		if err == nil && ev.Type == slackevents.CallbackEvent && ev.InnerEvent.Type == "" {
			t.Fatalf("accepted a callback without its event: %q", body)
		}
	})
}
