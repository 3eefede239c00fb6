package enos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/streamops/streamops/internal/api"
)

const (
	pathPipeline  = "/streaming/v2.0/streaming/pipeline/"
	pathPipelines = "/streaming/v2.0/streaming/pipelines"
	pageSize      = 50
)

// Action is an operation on a pipeline.
type Action string

const (
	Pause Action = "pause"
	Start Action = "start"
	Stop  Action = "stop"
)

// Pipeline status values (docs/providers.md §2a).
const (
	StatusPublished = "PUBLISHED"
	StatusRunning   = "RUNNING"
	StatusPaused    = "PAUSED"
	StatusStopped   = "STOPPED"
)

// Pipeline is a stream processing job as the list and show calls report it.
type Pipeline struct {
	ID      string `json:"pipelineId"`
	Name    string `json:"pipelineName"`
	Status  string `json:"status"`
	Version string `json:"version,omitempty"`
}

// UnmarshalJSON accepts version as a string or a number: the docs do not
// give its type.
func (p *Pipeline) UnmarshalJSON(b []byte) error {
	var raw struct {
		ID      string          `json:"pipelineId"`
		Name    string          `json:"pipelineName"`
		Status  string          `json:"status"`
		Version json.RawMessage `json:"version"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*p = Pipeline{ID: raw.ID, Name: raw.Name, Status: raw.Status, Version: jsonString(raw.Version)}
	return nil
}

// OperateCall is the request Operate sends for action a on a pipeline.
func (c *Client) OperateCall(pipelineID string, a Action) api.Call {
	return api.Call{
		Method: http.MethodPost,
		Path:   pathPipeline + url.PathEscape(pipelineID),
		Query:  url.Values{"action": {string(a)}, "orgId": {c.orgID}},
	}
}

// Operate asks for action a on a pipeline and returns the gateway's request
// ID. It is sent a second time only when the first certainly did not reach
// the service: the connection failed, or the gateway refused the token.
func (c *Client) Operate(ctx context.Context, pipelineID string, a Action) (requestID string, err error) {
	if pipelineID == "" {
		return "", errors.New("enos: empty pipeline ID")
	}
	switch a {
	case Pause, Start, Stop:
	default:
		return "", fmt.Errorf("enos: unknown action %q", a)
	}
	env, err := c.do(ctx, call{Call: c.OperateCall(pipelineID, a), id: pipelineID})
	if err != nil {
		return "", err
	}
	c.log.Info("enos pipeline operated", "pipeline", pipelineID, "action", a, "request_id", env.RequestID)
	return env.RequestID, nil
}

// Pipeline reads one pipeline.
func (c *Client) Pipeline(ctx context.Context, pipelineID string) (Pipeline, error) {
	if pipelineID == "" {
		return Pipeline{}, errors.New("enos: empty pipeline ID")
	}
	env, err := c.do(ctx, call{
		Call: api.Call{Method: http.MethodGet, Path: pathPipeline + url.PathEscape(pipelineID), Query: url.Values{"orgId": {c.orgID}}},
		id:   pipelineID,
		read: true,
	})
	if err != nil {
		return Pipeline{}, err
	}
	var p Pipeline
	if err := json.Unmarshal(env.Data, &p); err != nil {
		return Pipeline{}, &Error{HTTPStatus: http.StatusOK, Msg: "pipeline data: " + err.Error(), RequestID: env.RequestID}
	}
	return p, nil
}

// Pipelines lists every pipeline of the organization, page by page.
func (c *Client) Pipelines(ctx context.Context) ([]Pipeline, error) {
	var all []Pipeline
	for page := 1; ; page++ {
		env, err := c.do(ctx, call{
			Call: api.Call{Method: http.MethodGet, Path: pathPipelines, Query: url.Values{
				"orgId":    {c.orgID},
				"pageSize": {strconv.Itoa(pageSize)},
				"pageNo":   {strconv.Itoa(page)},
			}},
			read: true,
		})
		if err != nil {
			return nil, err
		}
		var data struct {
			Count     int        `json:"count"`
			Pipelines []Pipeline `json:"pipelines"`
		}
		if err := json.Unmarshal(env.Data, &data); err != nil {
			return nil, &Error{HTTPStatus: http.StatusOK, Msg: "pipeline list data: " + err.Error(), RequestID: env.RequestID}
		}
		all = append(all, data.Pipelines...)
		// A short page ends the list even if count disagrees, so that a
		// changing list cannot page forever.
		if len(data.Pipelines) < pageSize || len(all) >= data.Count {
			return all, nil
		}
	}
}
