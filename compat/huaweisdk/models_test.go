package huaweisdk

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/utils"
	egmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/eg/v1/model"
)

// sdkDir is where the main module's tests find these bodies.
var sdkDir = filepath.Join(repoRoot, "internal", "api", "eg", "testdata", "sdk")

func ptr[T any](v T) *T { return &v }

// TestSDKModelsAsTheBotReadsThem fills the SDK's response models, every
// field the bot reads and the neighbours it skips, marshals them as the SDK
// does, and checks them against internal/api/eg/testdata/sdk, which the bot's
// client decodes in its own tests (sdk_test.go there). UPDATE_SDK_BODIES=1
// rewrites the files.
func TestSDKModelsAsTheBotReadsThem(t *testing.T) {
	detail := func(id, name, status string) egmodel.EventStreamingDetail {
		s := egmodel.GetEventStreamingDetailStatusEnum().RUNNING
		if status == "STOPPED" {
			s = egmodel.GetEventStreamingDetailStatusEnum().STOPPED
		}
		return egmodel.EventStreamingDetail{
			Id:          ptr(id),
			Name:        name,
			Description: ptr("events of " + name),
			Source: &egmodel.EventStreamingSource{
				Name:        ptr(egmodel.GetEventStreamingSourceNameEnum().HC_KAFKA),
				SourceKafka: &egmodel.SourceKafkaMqParameters{InstanceId: ptr("kafka-1"), Group: name + "-group", Topic: name},
			},
			Sink: &egmodel.EventStreamingSink{
				Name:      ptr(egmodel.GetEventStreamingSinkNameEnum().HC_KAFKA),
				SinkKafka: &egmodel.SinkKafkaParameters{Topic: name + "-out", ConnectionId: "conn-1"},
			},
			Status:      &s,
			CreatedTime: ptr("2024-05-16T11:46:07Z"),
			UpdatedTime: ptr("2024-05-17T08:00:00Z"),
		}
	}
	show := detail("6f8e2d1c-0b9a-4c3d-8e7f-1a2b3c4d5e6f", "clickstream", "STOPPED")
	bodies := map[string]any{
		"show_stream.json": egmodel.ShowEventStreamingResponse{
			Id: show.Id, Name: show.Name, Description: show.Description, Source: show.Source, Sink: show.Sink,
			Status:      ptr(egmodel.GetShowEventStreamingResponseStatusEnum().STOPPED),
			CreatedTime: show.CreatedTime, UpdatedTime: show.UpdatedTime,
		},
		"list_streams.json": egmodel.ListEventStreamingResponse{
			Total: ptr(int32(2)), Size: ptr(int32(2)),
			Items: &[]egmodel.EventStreamingDetail{show, detail("0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a", "audit", "RUNNING")},
		},
		"operate_stream.json": egmodel.ResumeEventStreamingResponse{EventStreamingID: show.Id},
		"error.json": egmodel.ErrorInfo{
			ErrorCode: ptr("EG.00014040"), ErrorMsg: ptr("Not request resource found"),
			ErrorDetail: ptr("no event streaming 6f8e2d1c-0b9a-4c3d-8e7f-1a2b3c4d5e6f"),
		},
	}
	update := os.Getenv("UPDATE_SDK_BODIES") == "1"
	for name, model := range bodies {
		raw, err := utils.Marshal(model)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var want bytes.Buffer
		if err := json.Indent(&want, bytes.TrimSpace(raw), "", "  "); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want.WriteByte('\n')
		path := filepath.Join(sdkDir, name)
		if update {
			if err := os.MkdirAll(sdkDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s is not what the SDK marshals (%v): run UPDATE_SDK_BODIES=1 make compat and commit it\nthe SDK marshals:\n%s", path, err, want.String())
		}
	}
}
