package eg

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-resty/resty/v2"

	"github.com/streamops/streamops/internal/api"
)

// Operations on an event streaming: the documented enum, nothing else.
const (
	StreamStart = "START"
	StreamPause = "PAUSE"
)

// Stream statuses. There is no PAUSED: a paused stream reads STOPPED.
const (
	StreamCreated = "CREATED"
	StreamRunning = "RUNNING"
	StreamError   = "ERROR"
	StreamStopped = "STOPPED"
)

// Stream is an event streaming as the GET calls return it: the fields the
// bot reads of the official SDK's EventStreamingDetail.
type Stream struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Status      string `json:"status"`
	CreatedTime string `json:"created_time,omitempty"`
	UpdatedTime string `json:"updated_time,omitempty"`
}

// UnmarshalJSON reads the ID from id, as the official SDK does, and falls
// back to streaming_id, which earlier simulators sent.
func (s *Stream) UnmarshalJSON(b []byte) error {
	type plain Stream
	var w struct {
		plain
		ID string `json:"streaming_id"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = Stream(w.plain)
	if s.ID == "" {
		s.ID = w.ID
	}
	return nil
}

// OperateStreamCall is the request OperateStream sends.
func (c *Client) OperateStreamCall(streamID, operation string) api.Call {
	return api.Call{Method: http.MethodPost, Path: c.apiPath("eventstreamings", "operate", streamID), Body: map[string]string{"operation": operation}}
}

// OperateStream starts or pauses an event streaming (docs/providers.md §1a).
func (c *Client) OperateStream(ctx context.Context, streamID, operation string) (Result, error) {
	if operation != StreamStart && operation != StreamPause {
		return Result{}, fmt.Errorf("eventgrid: stream operation must be %s or %s, got %q", StreamStart, StreamPause, operation)
	}
	if err := checkID("stream", streamID); err != nil {
		return Result{}, err
	}
	var out struct {
		ID string `json:"eventStreamingID"`
	}
	resp, err := c.do(ctx, c.changing("operate stream", c.OperateStreamCall(streamID, operation)), &out)
	return Result{ID: out.ID, RequestID: requestID(resp)}, err
}

// Stream reads one event streaming.
func (c *Client) Stream(ctx context.Context, id string) (Stream, error) {
	if err := checkID("stream", id); err != nil {
		return Stream{}, err
	}
	var s Stream
	_, err := c.do(ctx, call{name: "show stream", method: http.MethodGet, url: c.path("eventstreamings", id), want: http.StatusOK}, &s)
	return s, err
}

// Streams lists every event streaming of the project.
func (c *Client) Streams(ctx context.Context) ([]Stream, error) {
	return list[Stream](ctx, c, "list streams", c.path("eventstreamings"))
}

// pageSize is the limit asked for per page (the service allows 1..1000).
const pageSize = 500

func list[T any](ctx context.Context, c *Client, name, u string) ([]T, error) {
	var all []T
	for offset := 0; ; {
		var page struct {
			Total int `json:"total"`
			Items []T `json:"items"`
		}
		q := url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(pageSize)}}
		if _, err := c.do(ctx, call{name: name, method: http.MethodGet, url: u, query: q, want: http.StatusOK}, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		offset += len(page.Items)
		if len(page.Items) == 0 || offset >= page.Total {
			return all, nil
		}
	}
}

func requestID(resp *resty.Response) string {
	if resp == nil || resp.RawResponse == nil {
		return ""
	}
	return resp.Header().Get(requestIDField)
}
