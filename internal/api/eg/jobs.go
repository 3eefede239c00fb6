package eg

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/streamops/streamops/internal/api"
)

// JobStart is the one documented job operation; stop and switchover come
// from Config.Operations.
const JobStart = "START"

// JobAction is the body of a job action (docs/providers.md §1b).
type JobAction struct {
	Operation string        `json:"operation"`
	Config    *ActionConfig `json:"config,omitempty"`
}

// ActionConfig carries a switchover's parameters.
type ActionConfig struct {
	SwitchNow   bool   `json:"switch_now"`
	SinkAddress string `json:"sink_address,omitempty"`
}

// Job is a professional event stream job as the create-job response defines
// it (docs/providers.md §1c).
// Passwords in its configs are masked as soon as it is decoded.
type Job struct {
	ID               string         `json:"job_id"`
	ClusterID        string         `json:"cluster_id"`
	Name             string         `json:"name"`
	Description      string         `json:"description,omitempty"`
	SceneType        string         `json:"scene_type"`
	SourceType       string         `json:"source_type"`
	SinkType         string         `json:"sink_type"`
	SubnetID         string         `json:"subnet_id,omitempty"`
	VPCID            string         `json:"vpc_id,omitempty"`
	SourceConfig     *SourceConfig  `json:"source_config"`
	SinkConfig       *SinkConfig    `json:"sink_config"`
	AdvanceConfig    *AdvanceConfig `json:"advance_config"`
	Status           string         `json:"status"`
	ErrCode          string         `json:"err_code,omitempty"`
	ErrMessage       string         `json:"err_message,omitempty"`
	CreatedTime      string         `json:"created_time"`
	UpdatedTime      string         `json:"updated_time"`
	SinkStatus       string         `json:"sink_status,omitempty"`
	SinkStatusInfo   string         `json:"sink_status_info,omitempty"`
	SourceStatus     string         `json:"source_status,omitempty"`
	SourceStatusInfo string         `json:"source_status_info,omitempty"`
	LogGroupID       string         `json:"log_group_id,omitempty"`
	LogStreamID      string         `json:"log_stream_id,omitempty"`
}

// SourceAddress is the address of whichever source is set.
func (j Job) SourceAddress() string { return j.SourceConfig.endpoint().address() }

// SinkAddress is the address of whichever target is set.
func (j Job) SinkAddress() string { return j.SinkConfig.endpoint().address() }

// ActOnJobCall is the request ActOnJob sends.
func (c *Client) ActOnJobCall(jobID string, a JobAction) api.Call {
	return api.Call{Method: http.MethodPost, Path: c.apiPath("eventrouter", "jobs", jobID, "action"), Body: a}
}

// ActOnJob sends a job action: START, or the configured stop or switchover
// operation. A switchover sent twice switches back, so this call is never
// resent unless it certainly did not take effect.
func (c *Client) ActOnJob(ctx context.Context, jobID string, a JobAction) (Result, error) {
	if err := checkID("job", jobID); err != nil {
		return Result{}, err
	}
	if !operationRe.MatchString(a.Operation) {
		return Result{}, fmt.Errorf("eventgrid: job operation must be a name such as %s, got %q", JobStart, a.Operation)
	}
	if a.Config != nil && strings.ContainsAny(a.Config.SinkAddress, " \t\r\n") {
		return Result{}, fmt.Errorf("eventgrid: sink_address must be comma-separated addresses without spaces, got %q", a.Config.SinkAddress)
	}
	var out struct {
		ID string `json:"job_id"`
	}
	resp, err := c.do(ctx, c.changing("job action "+a.Operation, c.ActOnJobCall(jobID, a)), &out)
	return Result{ID: out.ID, RequestID: requestID(resp)}, err
}

// Job reads one job.
func (c *Client) Job(ctx context.Context, id string) (Job, error) {
	if err := checkID("job", id); err != nil {
		return Job{}, err
	}
	var j Job
	_, err := c.do(ctx, call{name: "show job", method: http.MethodGet, url: c.path("eventrouter", "jobs", id), want: http.StatusOK}, &j)
	return j.masked(), err
}

// Jobs lists every job of the project.
func (c *Client) Jobs(ctx context.Context) ([]Job, error) {
	jobs, err := list[Job](ctx, c, "list jobs", c.path("eventrouter", "jobs"))
	for i := range jobs {
		jobs[i] = jobs[i].masked()
	}
	return jobs, err
}

// CreateJobCall is the request CreateJob sends; its body holds the
// template's passwords, so show it masked (CreateJob.Masked).
func (c *Client) CreateJobCall(req CreateJob) api.Call {
	return api.Call{Method: http.MethodPost, Path: c.apiPath("eventrouter", "jobs"), Body: req}
}

// CreateJob creates a job; req is validated before anything is sent. It
// returns the new job (status CREATING) and the request ID.
func (c *Client) CreateJob(ctx context.Context, req CreateJob) (Job, string, error) {
	if err := req.Validate(); err != nil {
		return Job{}, "", fmt.Errorf("eventgrid: create job: %w", err)
	}
	c.log.Info("eventgrid create job", "job", req)
	var j Job
	resp, err := c.do(ctx, c.changing("create job", c.CreateJobCall(req)), &j)
	return j.masked(), requestID(resp), err
}

// masked keeps secrets the service echoes out of everything the bot shows.
func (j Job) masked() Job {
	r := CreateJob{SourceConfig: j.SourceConfig, SinkConfig: j.SinkConfig}.Masked()
	j.SourceConfig, j.SinkConfig = r.SourceConfig, r.SinkConfig
	return j
}
