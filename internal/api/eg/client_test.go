package eg

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api"
)

func TestOperateStreamRequestAndResponse(t *testing.T) {
	for _, op := range []string{StreamStart, StreamPause} {
		t.Run(op, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				reply(w, 200, "rid-1-1700000000000-host", `{"eventStreamingID":"es-1"}`)
			})
			c := newClient(t, srv.URL, tokenConfig())

			res, err := c.OperateStream(context.Background(), "es-1", op)
			require.NoError(t, err)
			assert.Equal(t, Result{ID: "es-1", RequestID: "rid-1-1700000000000-host"}, res)

			got := srv.last(t)
			assert.Equal(t, http.MethodPost, got.method)
			assert.Equal(t, "/v1/"+testProject+"/eventstreamings/operate/es-1", got.path)
			assert.Equal(t, "tok-123", got.header.Get("X-Auth-Token"))
			assert.Equal(t, "application/json", got.header.Get("Content-Type"))
			assert.Empty(t, got.header.Get("Authorization"))
			assert.JSONEq(t, `{"operation":"`+op+`"}`, string(got.body))
		})
	}
}

func TestOperateStreamRefusesOtherOperationsBeforeSending(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, 200, "", `{}`) })
	c := newClient(t, srv.URL, tokenConfig())
	for _, op := range []string{"", "STOP", "start", "PAUSED"} {
		_, err := c.OperateStream(context.Background(), "es-1", op)
		assert.ErrorContains(t, err, "START or PAUSE", op)
	}
	_, err := c.OperateStream(context.Background(), "a/b", StreamStart)
	assert.ErrorContains(t, err, "invalid stream ID")
	assert.Zero(t, srv.count.Load())
}

func TestStreamShowAndList(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Query().Get("offset") {
		case "":
			reply(w, 200, "rid-s", `{"id":"es-1","name":"orders","status":"STOPPED","created_time":"2024-05-16T11:46:07Z"}`)
		case "0":
			reply(w, 200, "rid-p1", `{"total":3,"size":2,"items":[{"id":"es-1","name":"a","status":"RUNNING"},{"streaming_id":"es-2","name":"b","status":"CREATED"}]}`)
		default:
			reply(w, 200, "rid-p2", `{"total":3,"size":1,"items":[{"streaming_id":"es-3","name":"c","status":"ERROR"}]}`)
		}
	})
	c := newClient(t, srv.URL, tokenConfig())

	s, err := c.Stream(context.Background(), "es-1")
	require.NoError(t, err)
	assert.Equal(t, Stream{ID: "es-1", Name: "orders", Status: StreamStopped, CreatedTime: "2024-05-16T11:46:07Z"}, s)
	got := srv.last(t)
	assert.Equal(t, http.MethodGet, got.method)
	assert.Equal(t, "/v1/"+testProject+"/eventstreamings/es-1", got.path)
	assert.Equal(t, "tok-123", got.header.Get("X-Auth-Token"))
	assert.Empty(t, got.body)

	list, err := c.Streams(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []Stream{{ID: "es-1", Name: "a", Status: "RUNNING"}, {ID: "es-2", Name: "b", Status: "CREATED"}, {ID: "es-3", Name: "c", Status: "ERROR"}}, list)
	p1, p2 := srv.last(t), srv.last(t)
	assert.Equal(t, "/v1/"+testProject+"/eventstreamings", p1.path)
	assert.Equal(t, "limit=500&offset=0", p1.query)
	assert.Equal(t, "limit=500&offset=2", p2.query)
}

func TestActOnJobRequestAndResponse(t *testing.T) {
	cases := []struct {
		name   string
		action JobAction
		body   string
	}{
		{"start", JobAction{Operation: JobStart}, `{"operation":"START"}`},
		{"stop", JobAction{Operation: "STOP"}, `{"operation":"STOP"}`},
		{"switch", JobAction{Operation: "SWITCH", Config: &ActionConfig{SwitchNow: true, SinkAddress: "10.0.0.1:9092,10.0.0.2:9092"}},
			`{"operation":"SWITCH","config":{"switch_now":true,"sink_address":"10.0.0.1:9092,10.0.0.2:9092"}}`},
		{"switch later", JobAction{Operation: "SWITCH", Config: &ActionConfig{SinkAddress: "10.0.0.1:9092"}},
			`{"operation":"SWITCH","config":{"switch_now":false,"sink_address":"10.0.0.1:9092"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				reply(w, 200, "rid-a", `{"job_id":"fac59513-6c18-4266-bc81-5d412dfc1925"}`)
			})
			c := newClient(t, srv.URL, tokenConfig())

			res, err := c.ActOnJob(context.Background(), "fac59513-6c18-4266-bc81-5d412dfc1925", tc.action)
			require.NoError(t, err)
			assert.Equal(t, Result{ID: "fac59513-6c18-4266-bc81-5d412dfc1925", RequestID: "rid-a"}, res)
			got := srv.last(t)
			assert.Equal(t, http.MethodPost, got.method)
			assert.Equal(t, "/v1/"+testProject+"/eventrouter/jobs/fac59513-6c18-4266-bc81-5d412dfc1925/action", got.path)
			assert.Equal(t, "tok-123", got.header.Get("X-Auth-Token"))
			assert.Equal(t, "application/json", got.header.Get("Content-Type"))
			assert.JSONEq(t, tc.body, string(got.body))
		})
	}
}

func TestActOnJobRefusesBadInputBeforeSending(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, 200, "", `{}`) })
	c := newClient(t, srv.URL, tokenConfig())
	for _, a := range []JobAction{{}, {Operation: "st op"}, {Operation: "SWITCH", Config: &ActionConfig{SinkAddress: "a, b"}}} {
		_, err := c.ActOnJob(context.Background(), "j-1", a)
		assert.Error(t, err)
	}
	_, err := c.ActOnJob(context.Background(), "", JobAction{Operation: JobStart})
	assert.ErrorContains(t, err, "invalid job ID")
	assert.Zero(t, srv.count.Load())
}

// seed002Response is the create-job example response (docs/providers.md §1c)
// with configs filled in.
const seed002Response = `{
  "cluster_id": "fac59513-6c18-4266-bc81-5d412dfc1925",
  "job_id": "fac59513-6c18-4266-bc81-5d412dfc1925",
  "name": "eventRoute-ifpcv5u4",
  "description": "",
  "scene_type": "DISASTER_BACKUP",
  "source_type": "KAFKA",
  "source_config": {"source_kafka": {"config_type": "CLOUD", "region": "roma-dev-1", "project_id": "cb13", "cluster_alias": "aa", "address": "21.22.0.58:9092", "password": "leaked"}},
  "sink_type": "KAFKA",
  "sink_config": {"sink_kafka": {"config_type": "CLOUD", "region": "roma-dev-1", "project_id": "cb13", "cluster_alias": "bb", "address": "21.22.0.175:9092"}},
  "advance_config": null,
  "status": "CREATING",
  "err_code": null,
  "err_message": null,
  "created_time": "2024-05-16T11:46:07Z",
  "updated_time": "2024-05-16T11:46:07Z",
  "vpc_id": "199f632d-34e7-4915-b4d8-1bc4e2824867",
  "subnet_id": "0d1799e1-116e-4551-92dc-02dd8a860072"
}`

func TestJobShowAndList(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		switch r.URL.Query().Get("offset") {
		case "":
			reply(w, 200, "rid-j", seed002Response)
		case "0":
			reply(w, 200, "rid-l1", `{"total":2,"size":1,"items":[`+seed002Response+`]}`)
		default:
			reply(w, 200, "rid-l2", `{"total":2,"size":1,"items":[{"job_id":"j-2","status":"RUNNING","source_config":{"source_dcs":{"address":"10.1.1.1:6379"}},"sink_config":{"sink_rocketmq":{"address":"10.2.2.2:8100"}}}]}`)
		}
	})
	c := newClient(t, srv.URL, tokenConfig())

	j, err := c.Job(context.Background(), "fac59513-6c18-4266-bc81-5d412dfc1925")
	require.NoError(t, err)
	got := srv.last(t)
	assert.Equal(t, http.MethodGet, got.method)
	assert.Equal(t, "/v1/"+testProject+"/eventrouter/jobs/fac59513-6c18-4266-bc81-5d412dfc1925", got.path)
	assert.Equal(t, "fac59513-6c18-4266-bc81-5d412dfc1925", j.ID)
	assert.Equal(t, "eventRoute-ifpcv5u4", j.Name)
	assert.Equal(t, "CREATING", j.Status)
	assert.Equal(t, "KAFKA", j.SourceType)
	assert.Equal(t, "DISASTER_BACKUP", j.SceneType)
	assert.Equal(t, "2024-05-16T11:46:07Z", j.CreatedTime)
	assert.Equal(t, "21.22.0.58:9092", j.SourceAddress())
	assert.Equal(t, "21.22.0.175:9092", j.SinkAddress())
	assert.Equal(t, MaskedSecret, j.SourceConfig.Kafka.Password, "a password the service echoes is never shown")
	assert.Empty(t, j.ErrCode)

	jobs, err := c.Jobs(context.Background())
	require.NoError(t, err)
	require.Len(t, jobs, 2)
	assert.Equal(t, "10.1.1.1:6379", jobs[1].SourceAddress())
	assert.Equal(t, "10.2.2.2:8100", jobs[1].SinkAddress())
	assert.Equal(t, MaskedSecret, jobs[0].SourceConfig.Kafka.Password)
	assert.Equal(t, "limit=500&offset=0", srv.last(t).query)
	assert.Equal(t, "limit=500&offset=1", srv.last(t).query)
}

func TestCreateJobSendsPlainObjects(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		reply(w, 200, "rid-c", seed002Response)
	})
	c := newClient(t, srv.URL, tokenConfig())

	req, err := kafkaTemplate().Render("eventRoute-qapbtr95", "dr copy", env(map[string]string{"DR_SINK_KAFKA_PASSWORD": "s3cret"}))
	require.NoError(t, err)
	job, rid, err := c.CreateJob(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "rid-c", rid)
	assert.Equal(t, "CREATING", job.Status)
	assert.Equal(t, "fac59513-6c18-4266-bc81-5d412dfc1925", job.ID)

	got := srv.last(t)
	assert.Equal(t, http.MethodPost, got.method)
	assert.Equal(t, "/v1/"+testProject+"/eventrouter/jobs", got.path)
	assert.Equal(t, "tok-123", got.header.Get("X-Auth-Token"))
	assert.Equal(t, "application/json", got.header.Get("Content-Type"))
	assert.JSONEq(t, `{
	  "cluster_id": "fac59513-6c18-4266-bc81-5d412dfc1925",
	  "name": "eventRoute-qapbtr95",
	  "description": "dr copy",
	  "scene_type": "DISASTER_BACKUP",
	  "source_config": {"source_kafka": {"config_type": "CLOUD", "region": "roma-dev-1", "project_id": "cb13a5c409fe40599271f44bbea5a2ad",
	    "instance_id": "cdecf0b0-35b8-461b-a430-d7cd02d3d712", "cluster_alias": "aa", "address": "21.22.0.58:9092", "authenticate_mode": "PLAINTEXT"}},
	  "sink_config": {"sink_kafka": {"config_type": "CLOUD", "region": "roma-dev-1", "project_id": "cb13a5c409fe40599271f44bbea5a2ad",
	    "instance_id": "47896f0e-f90a-4528-b407-78ee00362cc9", "cluster_alias": "bb", "address": "21.22.0.175:9092",
	    "authenticate_mode": "SASL_SSL", "sasl_mechanism": "PLAIN", "user_name": "dr", "password": "s3cret"}},
	  "advance_config": {"kafka2kafka": {"topics": "t01", "replica_cnt": 1, "seek_to": "earliest", "compress_alg": "none",
	    "is_sync_progress": false, "is_add_header": false, "rename_topic": false}}
	}`, string(got.body))
}

func TestCreateJobValidatesBeforeSending(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, 200, "", seed002Response) })
	c := newClient(t, srv.URL, tokenConfig())
	_, _, err := c.CreateJob(context.Background(), CreateJob{Name: "x"})
	assert.ErrorContains(t, err, "cluster_id: required")
	assert.Zero(t, srv.count.Load())
}

// Every documented error body (docs/providers.md §1a, §1e), in both
// spellings of the details field, with the request ID from the body or else
// the header.
func TestErrorBodies(t *testing.T) {
	cases := []struct {
		status          int
		body, headerRID string
		want            Error
		text            string
	}{
		{400, `{"error_code":"EG.00014000","error_msg":"Bad request","error_details":"operation is invalid","request_id":"rid-body"}`, "rid-hdr",
			Error{400, "EG.00014000", "Bad request", "operation is invalid", "rid-body"},
			"EventGrid error EG.00014000 (HTTP 400): Bad request — operation is invalid (request ID rid-body)"},
		{401, `{"error_code":"EG.00014010","error_msg":"Incorrect token or token resolution failed","error_detail":"token expired"}`, "rid-hdr",
			Error{401, "EG.00014010", "Incorrect token or token resolution failed", "token expired", "rid-hdr"},
			"EventGrid error EG.00014010 (HTTP 401): Incorrect token or token resolution failed — token expired (request ID rid-hdr)"},
		{403, `{"error_code":"EG.00014030","error_msg":"No permissions to request this method"}`, "rid-hdr",
			Error{403, "EG.00014030", "No permissions to request this method", "", "rid-hdr"},
			"EventGrid error EG.00014030 (HTTP 403): No permissions to request this method (request ID rid-hdr)"},
		{404, `{"error_code":"EG.00014040","error_msg":"Not request resource found","error_details":"no job j-9","request_id":"rid-404"}`, "",
			Error{404, "EG.00014040", "Not request resource found", "no job j-9", "rid-404"},
			"EventGrid error EG.00014040 (HTTP 404): Not request resource found — no job j-9 (request ID rid-404)"},
		{500, `{"error_code":"EG.00015000","error_msg":"Internal Server Error"}`, "rid-500",
			Error{500, "EG.00015000", "Internal Server Error", "", "rid-500"},
			"EventGrid error EG.00015000 (HTTP 500): Internal Server Error (request ID rid-500)"},
		{400, `{"error_code":"EG.00513000","error_msg":"Invalid parameters","error_detail":"name"}`, "r",
			Error{400, "EG.00513000", "Invalid parameters", "name", "r"}, ""},
		{400, `{"error_code":"EG.00513001","error_msg":"Name duplicated"}`, "r", Error{400, "EG.00513001", "Name duplicated", "", "r"}, ""},
		{403, `{"error_code":"EG.00512000","error_msg":"No permission to operate"}`, "r", Error{403, "EG.00512000", "No permission to operate", "", "r"}, ""},
		{400, `{"error_code":"EG.00514003","error_msg":"Quota unavailable"}`, "r", Error{400, "EG.00514003", "Quota unavailable", "", "r"}, ""},
		{401, `{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: verify aksk signature fail","request_id":"gw"}`, "",
			Error{401, "APIGW.0301", "Incorrect IAM authentication information: verify aksk signature fail", "", "gw"}, ""},
		{502, `<html>Bad Gateway</html>`, "", Error{502, "", "<html>Bad Gateway</html>", "", ""}, "EventGrid error (HTTP 502): <html>Bad Gateway</html>"},
		{503, ``, "r", Error{503, "", "Service Unavailable", "", "r"}, "EventGrid error (HTTP 503): Service Unavailable (request ID r)"},
	}
	for opName, op := range allCalls() {
		for _, tc := range cases {
			t.Run(opName+"/"+tc.want.Code+"/"+http.StatusText(tc.status), func(t *testing.T) {
				srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, tc.status, tc.headerRID, tc.body) })
				c := newClient(t, srv.URL, tokenConfig(), (&waits{}).option())

				rid, err := op.call(c)
				var e *Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, tc.want, *e)
				if op.changes {
					assert.Equal(t, tc.headerRID, rid, "the header's request ID is kept on failure")
				}
				if tc.text != "" {
					assert.Equal(t, tc.text, e.Error())
				}
				assert.Equal(t, tc.want.Code, e.ProviderCode())
				assert.Equal(t, tc.want.RequestID, e.ProviderRequestID())
				sends := int32(1)
				if !op.changes && tc.status >= 500 {
					sends = maxAttempts // reads are retried
				}
				assert.Equal(t, sends, srv.count.Load())
			})
		}
	}
}

type apiCall struct {
	changes bool
	call    func(*Client) (requestID string, err error)
}

func allCalls() map[string]apiCall {
	ctx := context.Background()
	calls := map[string]apiCall{
		"show stream":  {false, func(c *Client) (string, error) { _, err := c.Stream(ctx, "es-1"); return "", err }},
		"list streams": {false, func(c *Client) (string, error) { _, err := c.Streams(ctx); return "", err }},
		"show job":     {false, func(c *Client) (string, error) { _, err := c.Job(ctx, "j-1"); return "", err }},
		"list jobs":    {false, func(c *Client) (string, error) { _, err := c.Jobs(ctx); return "", err }},
		"operate stream": {true, func(c *Client) (string, error) {
			r, err := c.OperateStream(ctx, "es-1", StreamPause)
			return r.RequestID, err
		}},
		"job action": {true, func(c *Client) (string, error) {
			r, err := c.ActOnJob(ctx, "j-1", JobAction{Operation: "SWITCH", Config: &ActionConfig{SwitchNow: true, SinkAddress: "10.0.0.1:9092"}})
			return r.RequestID, err
		}},
		"create job": {true, func(c *Client) (string, error) {
			req, err := kafkaTemplate().Render("job-1", "", env(map[string]string{"DR_SINK_KAFKA_PASSWORD": "pw"}))
			if err != nil {
				return "", err
			}
			_, rid, err := c.CreateJob(ctx, req)
			return rid, err
		}},
	}
	return calls
}

func TestProviderMessageIncludesDetails(t *testing.T) {
	e := &Error{Msg: "Bad request", Details: "operation"}
	assert.Equal(t, "Bad request — operation", e.ProviderMessage())
	assert.Equal(t, "Bad request", (&Error{Msg: "Bad request"}).ProviderMessage())
}

func TestStateChangingCallsAreNotResentAfterA5xx(t *testing.T) {
	for name, call := range stateCalls() {
		for _, status := range []int{500, 502, 503, 504} {
			t.Run(name+"/"+http.StatusText(status), func(t *testing.T) {
				srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
					reply(w, status, "rid", `{"error_code":"EG.00015000","error_msg":"Internal Server Error"}`)
				})
				var w waits
				c := newClient(t, srv.URL, tokenConfig(), w.option())
				err := call(c)
				var e *Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, status, e.HTTPStatus)
				assert.Equal(t, int32(1), srv.count.Load())
				assert.Zero(t, w.attempts.Load())
			})
		}
	}
}

func TestStateChangingCallsAreNotResentAfterATimeout(t *testing.T) {
	for name, call := range stateCalls() {
		t.Run(name, func(t *testing.T) {
			release := make(chan struct{})
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				<-release
			})
			defer close(release)
			cfg := tokenConfig()
			cfg.Timeout = time.Second // long enough for a loaded machine to deliver the send
			var w waits
			c := newClient(t, srv.URL, cfg, w.option())
			err := call(c)
			require.Error(t, err)
			assert.False(t, api.NotSent(err))
			assert.Equal(t, int32(1), srv.count.Load())
			assert.Zero(t, w.attempts.Load())
		})
	}
}

func TestStateChangingCallsAreResentWhenThrottled(t *testing.T) {
	bodies := map[string]string{
		"429 APIG.0308":  `{"error_code":"APIG.0308","error_msg":"The throttling threshold has been reached"}`,
		"429 APIGW.0308": `{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached"}`,
		"429 no body":    ``,
	}
	for name, call := range stateCalls() {
		for kind, body := range bodies {
			t.Run(name+"/"+kind, func(t *testing.T) {
				srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
					if n == 1 {
						reply(w, 429, "rid-throttled", body)
						return
					}
					reply(w, 200, "rid-ok", `{"eventStreamingID":"es-1","job_id":"j-1"}`)
				})
				var w waits
				c := newClient(t, srv.URL, tokenConfig(), w.option())
				require.NoError(t, call(c))
				assert.Equal(t, int32(2), srv.count.Load())
				assert.Equal(t, int32(1), w.attempts.Load())
				first, second := srv.last(t), srv.last(t)
				assert.Equal(t, first.body, second.body, "the resend is the same request")
			})
		}
	}
}

func TestThrottledResendsAreBounded(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		reply(w, 429, "rid", `{"error_code":"APIG.0308","error_msg":"The throttling threshold has been reached"}`)
	})
	var w waits
	c := newClient(t, srv.URL, tokenConfig(), w.option())
	_, err := c.ActOnJob(context.Background(), "j-1", JobAction{Operation: "SWITCH", Config: &ActionConfig{SinkAddress: "a"}})
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.True(t, e.Throttled())
	assert.Equal(t, int32(maxAttempts), srv.count.Load())
	assert.Equal(t, int32(maxAttempts-1), w.attempts.Load())
}

func TestThrottleWaitHonoursContext(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, 429, "rid", ``) })
	ctx, cancel := context.WithCancel(context.Background())
	c := newClient(t, srv.URL, tokenConfig(), WithThrottleWait(func(int) time.Duration {
		cancel()
		return time.Hour
	}))
	_, err := c.OperateStream(ctx, "es-1", StreamPause)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 429, e.HTTPStatus)
	assert.Equal(t, int32(1), srv.count.Load())
}

func TestDefaultThrottleWaitIsTwoToFiveSeconds(t *testing.T) {
	c := newClient(t, "https://eg.example.com", tokenConfig())
	for range 50 {
		d := c.throttleWait(1)
		assert.GreaterOrEqual(t, d, 2*time.Second)
		assert.Less(t, d, 5*time.Second)
	}
}

// A refused connection never carried the request, so even a switchover may
// be sent again.
func TestStateChangingCallsAreResentWhenNotSent(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	var w waits
	c := newClient(t, addr, tokenConfig(), w.option())
	_, err = c.ActOnJob(context.Background(), "j-1", JobAction{Operation: JobStart})
	require.Error(t, err)
	assert.True(t, api.NotSent(err))
	assert.Equal(t, int32(maxAttempts-1), w.attempts.Load())
}

func TestReadsAreRetriedAfterFailures(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 1:
			reply(w, 503, "r1", `{"error_code":"EG.00015000","error_msg":"Internal Server Error"}`)
		case 2:
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			_ = conn.Close() // a transport error after the request was sent
		default:
			reply(w, 200, "r3", `{"streaming_id":"es-1","status":"RUNNING"}`)
		}
	})
	var w waits
	c := newClient(t, srv.URL, tokenConfig(), w.option())
	s, err := c.Stream(context.Background(), "es-1")
	require.NoError(t, err)
	assert.Equal(t, "RUNNING", s.Status)
	assert.Equal(t, int32(3), srv.count.Load())
}

func TestSignatureFailuresAreNotRetried(t *testing.T) {
	cfg := tokenConfig()
	cfg.Auth = Auth{Mode: AuthAKSK, AccessKey: "AK", SecretKey: "SK"}
	for name, call := range map[string]func(*Client) error{
		"read": func(c *Client) error { _, err := c.Stream(context.Background(), "es-1"); return err },
		"operate": func(c *Client) error {
			_, err := c.OperateStream(context.Background(), "es-1", StreamStart)
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				reply(w, 401, "rid", `{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: verify aksk signature fail"}`)
			})
			var w waits
			c := newClient(t, srv.URL, cfg, w.option())
			var e *Error
			require.ErrorAs(t, call(c), &e)
			assert.Equal(t, "APIGW.0301", e.Code)
			assert.Equal(t, int32(1), srv.count.Load())
		})
	}
}

func TestTokenModeDoesNotRetryA401(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		reply(w, 401, "rid", `{"error_code":"EG.00014010","error_msg":"Incorrect token or token resolution failed"}`)
	})
	c := newClient(t, srv.URL, tokenConfig())
	_, err := c.Streams(context.Background())
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, int32(1), srv.count.Load())
}

func TestSignedRequestCarriesProjectAndSignature(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		reply(w, 200, "rid", `{"eventStreamingID":"es-1"}`)
	})
	cfg := tokenConfig()
	cfg.Auth = Auth{Mode: AuthAKSK, AccessKey: "AK", SecretKey: "SK"}
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	c := newClient(t, srv.URL, cfg, WithClock(func() time.Time { return at }))
	_, err := c.OperateStream(context.Background(), "es-1", StreamPause)
	require.NoError(t, err)
	got := srv.last(t)
	assert.Equal(t, "20250102T030405Z", got.header.Get("X-Sdk-Date"))
	assert.Equal(t, testProject, got.header.Get("X-Project-Id"))
	assert.Empty(t, got.header.Get("X-Auth-Token"))
	assert.Regexp(t, `^SDK-HMAC-SHA256 Access=AK, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=[0-9a-f]{64}$`, got.header.Get("Authorization"))
	assert.True(t, verify(t, got, srv.Listener.Addr().String(), "SK"), "an independent verifier accepts the signature")
}

func stateCalls() map[string]func(*Client) error {
	out := map[string]func(*Client) error{}
	for name, c := range allCalls() {
		if c.changes {
			out[name] = func(cl *Client) error { _, err := c.call(cl); return err }
		}
	}
	return out
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	elsewhere := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, 200, "", `{}`) })
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("X-Request-Id", "rid-307")
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})
	c := newClient(t, srv.URL, tokenConfig())
	res, err := c.ActOnJob(context.Background(), "j-1", JobAction{Operation: JobStart})
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusTemporaryRedirect, e.HTTPStatus)
	assert.Equal(t, "rid-307", res.RequestID)
	assert.Equal(t, int32(1), srv.count.Load())
	assert.Zero(t, elsewhere.count.Load(), "the token never reaches another host")
}
