package egsim

import "github.com/streamops/streamops/internal/api/eg"

// streamDetail is an event streaming as the official SDK's
// EventStreamingDetail and ShowEventStreamingResponse name its fields: the
// ID is id, and source and sink are objects naming their kind.
type streamDetail struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	Source      streamSource `json:"source"`
	Sink        streamSink   `json:"sink"`
	Status      string       `json:"status"`
	CreatedTime string       `json:"created_time"`
	UpdatedTime string       `json:"updated_time"`
}

// streamSource is the SDK's EventStreamingSource with its Kafka variant.
type streamSource struct {
	Name  string       `json:"name"` // HC.Kafka, HC.DMS_ROCKETMQ or HC.COMMUNITY_ROCKETMQ
	Kafka *kafkaSource `json:"source_kafka,omitempty"`
}

type kafkaSource struct {
	InstanceID string `json:"instance_id"`
	Addr       string `json:"addr"`
	Group      string `json:"group"`
	Topic      string `json:"topic"`
}

// streamSink is the SDK's EventStreamingSink with its Kafka variant.
type streamSink struct {
	Name  string     `json:"name"` // HC.Kafka or HC.FunctionGraph
	Kafka *kafkaSink `json:"sink_kafka,omitempty"`
}

type kafkaSink struct {
	Topic        string `json:"topic"`
	ConnectionID string `json:"connectionId"`
}

// detail is what a GET answers for st: the simulator has no real endpoints,
// so source and sink are sandbox Kafka topics named after the stream.
func detail(st eg.Stream) streamDetail {
	return streamDetail{
		ID:          st.ID,
		Name:        st.Name,
		Description: st.Description,
		Source: streamSource{Name: "HC.Kafka", Kafka: &kafkaSource{
			InstanceID: "sandbox-kafka", Addr: "127.0.0.1:9092", Group: st.ID + "-group", Topic: st.ID,
		}},
		Sink: streamSink{Name: "HC.Kafka", Kafka: &kafkaSink{
			Topic: st.ID + "-out", ConnectionID: "sandbox-connection",
		}},
		Status:      st.Status,
		CreatedTime: st.CreatedTime,
		UpdatedTime: st.UpdatedTime,
	}
}
