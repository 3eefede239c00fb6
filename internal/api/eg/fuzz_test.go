package eg

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzDecodeError(f *testing.F) {
	f.Add(400, []byte(`{"error_code":"EG.00014000","error_msg":"Bad request","error_details":"x","request_id":"r"}`), "h")
	f.Add(401, []byte(`{"error_code":"EG.00014010","error_msg":"Incorrect token","error_detail":{"a":1}}`), "")
	f.Add(401, []byte(`{"error":{"code":401,"message":"The username or password is wrong.","title":"Unauthorized"}}`), "h")
	f.Add(429, []byte(`{"error_code":"APIG.0308"}`), "")
	f.Add(502, []byte("<html>\xff</html>"), "h")
	f.Add(500, []byte(`[1,2]`), "")
	f.Fuzz(func(t *testing.T, status int, body []byte, headerRID string) {
		e := decodeError(status, body, headerRID)
		if e.HTTPStatus != status {
			t.Fatalf("status %d became %d", status, e.HTTPStatus)
		}
		if e.RequestID == "" && headerRID != "" {
			t.Fatal("the header's request ID was lost")
		}
		for _, s := range []string{e.Code, e.Msg, e.Details} {
			if utf8.RuneCountInString(s) > maxErrorText+1 {
				t.Fatalf("unbounded text of %d runes", utf8.RuneCountInString(s))
			}
		}
		if !utf8.ValidString(e.Msg) || !utf8.ValidString(e.Details) {
			t.Fatalf("invalid UTF-8 in %q / %q", e.Msg, e.Details)
		}
		if !strings.HasPrefix(e.Error(), "EventGrid error") {
			t.Fatalf("unexpected text %q", e.Error())
		}
		if e.Throttled() != (status == 429 || e.Code == "APIG.0308" || e.Code == "APIGW.0308") {
			t.Fatal("Throttled disagrees with the rule")
		}
	})
}

// FuzzCreateJob feeds outside JSON to Validate and Masked: neither may panic,
// Masked must leave no password, and a valid request must survive a round trip.
func FuzzCreateJob(f *testing.F) {
	f.Add([]byte(`{"cluster_id":"c","name":"n","scene_type":"DISASTER_BACKUP","source_config":{"source_kafka":{"config_type":"CLOUD","region":"r","project_id":"p","instance_id":"i","cluster_alias":"a","password":"pw"}},"sink_config":{"sink_dcs":{"config_type":"X","region":"r","project_id":"p","password":"pw2"}}}`))
	f.Add([]byte(`{"cluster_id":"c","name":"n","scene_type":"S","source_config":{"source_rocketmq":{"acl_open":true}},"advance_config":{"kafka2kafka":{"topic_regex":"("}}}`))
	f.Add([]byte(`{"source_config":[{"source_kafka":[{}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r CreateJob
		if json.Unmarshal(body, &r) != nil {
			return
		}
		err := r.Validate()
		m := r.Masked()
		for _, s := range secrets(m.SourceConfig, m.SinkConfig) {
			if *s.password != "" && *s.password != MaskedSecret {
				t.Fatalf("Masked left a password: %q", *s.password)
			}
		}
		if err != nil {
			return
		}
		again, mErr := json.Marshal(r)
		if mErr != nil {
			t.Fatal(mErr)
		}
		var back CreateJob
		if uErr := json.Unmarshal(again, &back); uErr != nil {
			t.Fatal(uErr)
		}
		if vErr := back.Validate(); vErr != nil {
			t.Fatalf("valid request invalid after a round trip: %v", vErr)
		}
	})
}
