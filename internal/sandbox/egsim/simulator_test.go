package egsim

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/eg"
	"github.com/streamops/streamops/internal/fakeclock"
)

const project = "0123456789abcdef0123456789abcdef"

var (
	testCreds = Credentials{ProjectID: project, Token: "static", Domain: "acme", User: "bot", Password: "pw", AccessKey: "AK", SecretKey: "SK"}
	testOps   = eg.Operations{Stop: "STOP", Switch: "SWITCH"}
	startTime = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	ridRe     = `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-\d{13}-egsim$`
)

type fixture struct {
	sim *Simulator
	srv *httptest.Server
	clk *fakeclock.Clock
}

func newFixture(t *testing.T, opts ...Option) *fixture {
	t.Helper()
	cfg := Config{
		Streams: []Stream{{ID: "es-1", Name: "orders"}, {ID: "es-2", Status: "STOPPED"}},
		Jobs: []Job{
			{ID: "job-1", Name: "dr", SourceAddress: "10.0.0.1:9092,10.0.0.2:9092", SinkAddress: "10.1.0.1:9092"},
			{ID: "job-2", Status: "STOPPED", SourceAddress: "10.0.0.9:6379", SinkAddress: "10.1.0.9:6379", SourceType: "DCS"},
		},
	}
	require.NoError(t, cfg.Validate())
	f := &fixture{clk: fakeclock.New(startTime)}
	opts = append([]Option{WithClock(f.clk.Now), WithCreateDelay(time.Minute), WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	f.sim = New(cfg, testCreds, testOps, opts...)
	f.srv = httptest.NewServer(f.sim)
	t.Cleanup(f.srv.Close)
	return f
}

type response struct {
	status int
	header http.Header
	body   map[string]any
}

// call sends a request with the static token unless headers say otherwise.
func (f *fixture) call(t *testing.T, method, path, body string, headers ...string) response {
	t.Helper()
	var rdr io.Reader
	if body != "" {
		rdr = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rdr)
	require.NoError(t, err)
	req.Header.Set("X-Auth-Token", "static")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := response{status: resp.StatusCode, header: resp.Header}
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out.body), string(raw))
	}
	return out
}

// assertError checks a documented error body and that its request_id is the header's.
func assertError(t *testing.T, r response, status int, code string) {
	t.Helper()
	assert.Equal(t, status, r.status)
	assert.Equal(t, code, r.body["error_code"])
	assert.NotEmpty(t, r.body["error_msg"])
	assert.Regexp(t, ridRe, r.header.Get("X-Request-Id"))
	assert.Equal(t, r.header.Get("X-Request-Id"), r.body["request_id"])
}

func jobsPath(rest string) string { return "/v1/" + project + "/eventrouter/jobs" + rest }
func streamsPath(rest string) string {
	return "/v1/" + project + "/eventstreamings" + rest
}

func TestEveryResponseHasAUniqueRequestID(t *testing.T) {
	f := newFixture(t)
	seen := map[string]bool{}
	for _, r := range []response{
		f.call(t, "GET", streamsPath("/es-1"), ""),
		f.call(t, "GET", streamsPath("/es-1"), ""),
		f.call(t, "GET", streamsPath("/missing"), ""),
		f.call(t, "GET", "/nowhere", ""),
		f.call(t, "POST", "/v3/auth/tokens", "{}"),
	} {
		rid := r.header.Get("X-Request-Id")
		assert.Regexp(t, ridRe, rid)
		assert.False(t, seen[rid], "request IDs are unique")
		seen[rid] = true
	}
}

func TestTokenChecks(t *testing.T) {
	f := newFixture(t, WithTokenTTL(time.Hour))
	assertError(t, f.call(t, "GET", streamsPath(""), "", "X-Auth-Token", ""), 401, codeBadToken)
	assertError(t, f.call(t, "GET", streamsPath(""), "", "X-Auth-Token", "forged"), 401, codeBadToken)

	issued := f.call(t, "POST", "/v3/auth/tokens", iamBody("acme", "bot", "pw", project), "X-Auth-Token", "")
	require.Equal(t, http.StatusCreated, issued.status)
	token := issued.header.Get("X-Subject-Token")
	require.NotEmpty(t, token)
	tok := issued.body["token"].(map[string]any)
	assert.Equal(t, "2025-03-01T13:00:00.000000Z", tok["expires_at"])

	assert.Equal(t, 200, f.call(t, "GET", streamsPath(""), "", "X-Auth-Token", token).status)
	f.clk.Advance(time.Hour)
	r := f.call(t, "GET", streamsPath(""), "", "X-Auth-Token", token)
	assertError(t, r, 401, codeBadToken)
	assert.Contains(t, r.body["error_details"], "expired")
	assert.Equal(t, 200, f.call(t, "GET", streamsPath(""), "").status, "the static token does not expire")
}

func iamBody(domain, user, password, projectID string) string {
	return `{"auth":{"identity":{"methods":["password"],"password":{"user":{"domain":{"name":"` + domain + `"},"name":"` + user +
		`","password":"` + password + `"}}},"scope":{"project":{"id":"` + projectID + `"}}}}`
}

func TestIAMRefusals(t *testing.T) {
	f := newFixture(t)
	for _, body := range []string{
		iamBody("acme", "bot", "wrong", project),
		iamBody("other", "bot", "pw", project),
		iamBody("acme", "eve", "pw", project),
		iamBody("acme", "bot", "pw", "another-project"),
	} {
		r := f.call(t, "POST", "/v3/auth/tokens", body)
		assert.Equal(t, http.StatusUnauthorized, r.status)
		assert.Empty(t, r.header.Get("X-Subject-Token"))
		assert.Equal(t, float64(401), r.body["error"].(map[string]any)["code"])
	}
	assert.Equal(t, http.StatusBadRequest, f.call(t, "POST", "/v3/auth/tokens", `{"auth":{"identity":{"methods":["token"]}}}`).status)
	assert.Equal(t, http.StatusBadRequest, f.call(t, "POST", "/v3/auth/tokens", `not json`).status)

	noPassword := New(Config{}, Credentials{ProjectID: project}, testOps)
	srv := httptest.NewServer(noPassword)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v3/auth/tokens", "application/json", strings.NewReader(iamBody("", "", "", project)))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "empty credentials never sign in")
}

func TestWrongProjectIsForbidden(t *testing.T) {
	f := newFixture(t)
	r := f.call(t, "GET", "/v1/ffffffffffffffffffffffffffffffff/eventstreamings", "")
	assertError(t, r, 403, codeForbidden)
	r = f.call(t, "GET", streamsPath(""), "", "X-Project-Id", "ffffffffffffffffffffffffffffffff")
	assertError(t, r, 403, codeForbidden)
}

func TestStreams(t *testing.T) {
	f := newFixture(t)
	r := f.call(t, "POST", streamsPath("/operate/es-1"), `{"operation":"PAUSE"}`)
	assert.Equal(t, 200, r.status)
	assert.Equal(t, map[string]any{"eventStreamingID": "es-1"}, r.body)
	s, _ := f.sim.Stream("es-1")
	assert.Equal(t, Stream{ID: "es-1", Name: "orders", Status: "STOPPED"}, s)

	f.call(t, "POST", streamsPath("/operate/es-1"), `{"operation":"START"}`)
	r = f.call(t, "GET", streamsPath("/es-1"), "")
	assert.Equal(t, "RUNNING", r.body["status"])
	assert.Equal(t, "es-1", r.body["id"], "the official SDK reads the ID from id")
	assert.Equal(t, "HC.Kafka", r.body["source"].(map[string]any)["name"])
	assert.Equal(t, "HC.Kafka", r.body["sink"].(map[string]any)["name"])

	assertError(t, f.call(t, "POST", streamsPath("/operate/es-1"), `{"operation":"STOP"}`), 400, codeInvalidParam)
	assertError(t, f.call(t, "POST", streamsPath("/operate/es-1"), `{"operation":`), 400, codeBadRequest)
	assertError(t, f.call(t, "POST", streamsPath("/operate/nope"), `{"operation":"START"}`), 404, codeNotFound)
	assertError(t, f.call(t, "GET", streamsPath("/nope"), ""), 404, codeNotFound)
	_, ok := f.sim.Stream("nope")
	assert.False(t, ok)

	r = f.call(t, "GET", streamsPath("?offset=1&limit=1"), "")
	assert.Equal(t, float64(2), r.body["total"])
	assert.Equal(t, float64(1), r.body["size"])
	assert.Equal(t, "es-2", r.body["items"].([]any)[0].(map[string]any)["id"])
	assertError(t, f.call(t, "GET", streamsPath("?limit=1001"), ""), 400, codeInvalidParam)
	assertError(t, f.call(t, "GET", streamsPath("?limit=0"), ""), 400, codeInvalidParam)
	assertError(t, f.call(t, "GET", streamsPath("?offset=-1"), ""), 400, codeInvalidParam)
}

func TestJobActions(t *testing.T) {
	f := newFixture(t)
	act := func(body string) response { return f.call(t, "POST", jobsPath("/job-1/action"), body) }

	r := act(`{"operation":"STOP"}`)
	assert.Equal(t, 200, r.status)
	assert.Equal(t, map[string]any{"job_id": "job-1"}, r.body)
	j, _ := f.sim.Job("job-1")
	assert.Equal(t, "STOPPED", j.Status)
	act(`{"operation":"START"}`)
	j, _ = f.sim.Job("job-1")
	assert.Equal(t, "RUNNING", j.Status)

	// The target's address: nothing is switched, still a success.
	assert.Equal(t, 200, act(`{"operation":"SWITCH","config":{"sink_address":"10.1.0.1:9092"}}`).status)
	j, _ = f.sim.Job("job-1")
	assert.Equal(t, "10.0.0.1:9092,10.0.0.2:9092", j.SourceAddress)

	// The source's addresses, in any order: source and target swap.
	assert.Equal(t, 200, act(`{"operation":"SWITCH","config":{"switch_now":true,"sink_address":"10.0.0.2:9092, 10.0.0.1:9092"}}`).status)
	j, _ = f.sim.Job("job-1")
	assert.Equal(t, Job{ID: "job-1", Name: "dr", Status: "RUNNING", SourceAddress: "10.1.0.1:9092", SinkAddress: "10.0.0.1:9092,10.0.0.2:9092", SourceType: "KAFKA", SinkType: "KAFKA"}, j)

	// Sent twice, a switchover switches back: why the client never resends one blindly.
	act(`{"operation":"SWITCH","config":{"sink_address":"10.1.0.1:9092,10.0.0.1:9092"}}`)
	assertError(t, act(`{"operation":"SWITCH","config":{"sink_address":"10.1.0.1:9092,10.0.0.1:9092"}}`), 400, codeInvalidParam)
	act(`{"operation":"SWITCH","config":{"sink_address":"10.1.0.1:9092"}}`)
	j, _ = f.sim.Job("job-1")
	assert.Equal(t, "10.0.0.1:9092,10.0.0.2:9092", j.SourceAddress)

	assertError(t, act(`{"operation":"SWITCH","config":{"sink_address":"10.9.9.9:9092"}}`), 400, codeInvalidParam)
	assertError(t, act(`{"operation":"SWITCH"}`), 400, codeInvalidParam)
	assertError(t, act(`{"operation":"RESTART"}`), 400, codeInvalidParam)
	assertError(t, act(`{"operation":""}`), 400, codeInvalidParam)
	assertError(t, act(`[`), 400, codeBadRequest)
	assertError(t, f.call(t, "POST", jobsPath("/nope/action"), `{"operation":"START"}`), 404, codeNotFound)
	assertError(t, f.call(t, "GET", jobsPath("/nope"), ""), 404, codeNotFound)

	r = f.call(t, "GET", jobsPath("/job-2"), "")
	assert.Equal(t, "DCS", r.body["source_type"])
	assert.Equal(t, "10.0.0.9:6379", r.body["source_config"].(map[string]any)["source_dcs"].(map[string]any)["address"])
}

func TestUnconfiguredOperationsAreRefused(t *testing.T) {
	sim := New(Config{Jobs: []Job{{ID: "j", SourceAddress: "a", SinkAddress: "b"}}}, testCreds, eg.Operations{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+jobsPath("/j/action"), strings.NewReader(`{"operation":""}`))
	req.Header.Set("X-Auth-Token", "static")
	assert.Equal(t, 400, send(t, req).status)
}

const createBody = `{
  "cluster_id": "c-1", "name": "dr-copy", "scene_type": "DISASTER_BACKUP",
  "source_config": {"source_kafka": {"config_type": "CLOUD", "region": "r", "project_id": "p", "instance_id": "i1", "cluster_alias": "a", "address": "10.5.0.1:9092"}},
  "sink_config": {"sink_kafka": {"config_type": "CLOUD", "region": "r", "project_id": "p", "instance_id": "i2", "cluster_alias": "b", "address": "10.6.0.1:9092",
    "authenticate_mode": "SASL_SSL", "user_name": "u", "password": "s3cret"}},
  "advance_config": {"kafka2kafka": {"topics": "t01", "replica_cnt": 1, "seek_to": "earliest", "compress_alg": "none", "is_sync_progress": false, "is_add_header": false}}
}`

func TestCreateJob(t *testing.T) {
	f := newFixture(t)
	r := f.call(t, "POST", jobsPath(""), createBody)
	require.Equal(t, 200, r.status, r.body)
	id := r.body["job_id"].(string)
	assert.Equal(t, "CREATING", r.body["status"])
	assert.Equal(t, "KAFKA", r.body["source_type"])
	assert.Equal(t, "2025-03-01T12:00:00Z", r.body["created_time"])
	raw, _ := json.Marshal(r.body)
	assert.NotContains(t, string(raw), "s3cret", "the service never echoes a password")

	f.clk.Advance(59 * time.Second)
	j, _ := f.sim.Job(id)
	assert.Equal(t, "CREATING", j.Status)
	assertError(t, f.call(t, "POST", jobsPath("/"+id+"/action"), `{"operation":"START"}`), 400, codeBadRequest)
	f.clk.Advance(time.Second)
	r = f.call(t, "GET", jobsPath("/"+id), "")
	assert.Equal(t, "RUNNING", r.body["status"])
	assert.Equal(t, "2025-03-01T12:01:00Z", r.body["updated_time"])

	assertError(t, f.call(t, "POST", jobsPath(""), createBody), 400, codeNameDuplicate)
	r = f.call(t, "GET", jobsPath("?limit=1000"), "")
	assert.Equal(t, float64(3), r.body["total"])
}

func TestCreateJobValidation(t *testing.T) {
	f := newFixture(t)
	r := f.call(t, "POST", jobsPath(""), strings.Replace(createBody, `"name": "dr-copy"`, `"name": "-bad"`, 1))
	assertError(t, r, 400, codeInvalidParam)
	assert.Contains(t, r.body["error_details"], "name:")
	r = f.call(t, "POST", jobsPath(""), strings.Replace(createBody, `"password": "s3cret"`, `"password": ""`, 1))
	assertError(t, r, 400, codeInvalidParam)
	assert.Contains(t, r.body["error_details"], "sink_config.sink_kafka.password: required when authenticate_mode is SASL_SSL")

	// The create-job example's shape (arrays, trailing commas) is not what the
	// tables define (docs/providers.md §1c).
	seedShape := `{"cluster_id":"c","name":"n","scene_type":"DISASTER_BACKUP","source_config":[{"source_kafka":[{"config_type":"CLOUD"}],}]}`
	assertError(t, f.call(t, "POST", jobsPath(""), seedShape), 400, codeBadRequest)
	arrays := `{"cluster_id":"c","name":"n","scene_type":"DISASTER_BACKUP","source_config":[{"source_kafka":[{"config_type":"CLOUD"}]}]}`
	assertError(t, f.call(t, "POST", jobsPath(""), arrays), 400, codeBadRequest)
}

func TestUnknownPath(t *testing.T) {
	f := newFixture(t)
	assertError(t, f.call(t, "GET", "/v1/"+project+"/nothing", ""), 404, codeNotFound)
	assertError(t, f.call(t, "DELETE", jobsPath("/job-1"), ""), 404, codeNotFound)
}

func TestConcurrentUse(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			switch i % 4 {
			case 0:
				f.call(t, "POST", jobsPath("/job-1/action"), `{"operation":"STOP"}`)
			case 1:
				f.call(t, "POST", jobsPath("/job-1/action"), `{"operation":"SWITCH","config":{"sink_address":"10.1.0.1:9092"}}`)
			case 2:
				f.call(t, "GET", jobsPath(""), "")
			default:
				f.call(t, "POST", streamsPath("/operate/es-1"), `{"operation":"PAUSE"}`)
			}
		})
	}
	wg.Wait()
	s, _ := f.sim.Stream("es-1")
	assert.Equal(t, "STOPPED", s.Status)
}

func TestConfigValidate(t *testing.T) {
	good := Config{Listen: "127.0.0.1:8099", Streams: []Stream{{ID: "s"}}, Jobs: []Job{{ID: "j", SourceAddress: "a", SinkAddress: "b", SourceType: "ROCKETMQ"}}}
	require.NoError(t, good.Validate())
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Streams: []Stream{{}}}, "sandbox.eg.streams[0].id: required"},
		{Config{Streams: []Stream{{ID: "a/b"}}}, "sandbox.eg.streams[0].id: want at most 128 characters"},
		{Config{Streams: []Stream{{ID: "s"}, {ID: "s"}}}, `sandbox.eg.streams[1].id: duplicate stream ID "s"`},
		{Config{Streams: []Stream{{ID: "s", Status: "PAUSED"}}}, `sandbox.eg.streams[0].status: want one of CREATED, RUNNING, ERROR, STOPPED, got "PAUSED"`},
		{Config{Jobs: []Job{{SourceAddress: "a", SinkAddress: "b"}}}, "sandbox.eg.jobs[0].id: required"},
		{Config{Jobs: []Job{{ID: "j", SourceAddress: "a", SinkAddress: "b"}, {ID: "j", SourceAddress: "a", SinkAddress: "b"}}}, `sandbox.eg.jobs[1].id: duplicate job ID "j"`},
		{Config{Jobs: []Job{{ID: "j", SinkAddress: "b"}}}, "sandbox.eg.jobs[0].source_address: required"},
		{Config{Jobs: []Job{{ID: "j", SourceAddress: "a"}}}, "sandbox.eg.jobs[0].sink_address: required"},
		{Config{Jobs: []Job{{ID: "j", SourceAddress: "a", SinkAddress: "b", Status: "PAUSED"}}}, "sandbox.eg.jobs[0].status: want one of"},
		{Config{Jobs: []Job{{ID: "j", SourceAddress: "a", SinkAddress: "b", SourceType: "kafka"}}}, `sandbox.eg.jobs[0].source_type: want one of KAFKA, ROCKETMQ, DCS, got "kafka"`},
		{Config{Jobs: []Job{{ID: "j", SourceAddress: "a", SinkAddress: "b", SinkType: "MQ"}}}, "sandbox.eg.jobs[0].sink_type: want one of"},
	}
	for _, tc := range cases {
		err := tc.cfg.Validate()
		require.Error(t, err, tc.want)
		assert.Contains(t, err.Error(), tc.want)
	}
}

func TestBodyTooLarge(t *testing.T) {
	f := newFixture(t)
	big := bytes.Repeat([]byte("a"), 1<<20+1)
	req, _ := http.NewRequest("POST", f.srv.URL+jobsPath(""), bytes.NewReader(big))
	req.Header.Set("X-Auth-Token", "static")
	assertError(t, send(t, req), 400, codeBadRequest)
}
