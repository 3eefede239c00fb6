package eventgrid

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/eg"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/sandbox/egsim"
)

const (
	projectID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	jobID     = "fac59513-6c18-4266-bc81-5d412dfc1925"
)

// The card's call line of a switch is the request the client sends, body
// included: both come from eg.Client.ActOnJobCall.
func TestTheSwitchCallLineIsWhatTheClientSends(t *testing.T) {
	operations := eg.Operations{Stop: "STOP", Switch: "SWITCH"}
	sim := egsim.New(egsim.Config{Jobs: []egsim.Job{{ID: jobID, Name: "orders-dr", SourceAddress: "10.0.0.5:9092", SinkAddress: "10.0.1.7:9092"}}},
		egsim.Credentials{ProjectID: projectID, Token: "t"}, operations)
	var (
		mu   sync.Mutex
		sent []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, err := io.ReadAll(r.Body)
			assert.NoError(t, err)
			mu.Lock()
			sent = append(sent, r.Method+" "+r.URL.RequestURI()+" "+string(body))
			mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	api, err := eg.New(srv.URL, srv.URL, eg.Config{Endpoint: eg.Sandbox, Region: "cn-north-4", ProjectID: projectID, Auth: eg.Auth{Mode: eg.AuthToken, Token: "t"}})
	require.NoError(t, err)

	var sw ops.Spec
	for _, s := range New(Setup{API: api, Operations: operations}).Operations() {
		if s.Name == "job switch" {
			sw = s
		}
	}
	require.True(t, sw.ReadsFirst)
	require.Equal(t, ops.Dangerous, sw.Risk)
	r := ops.Request{Op: sw.Name, Target: ops.Target{Kind: "job", ID: jobID}, Flags: []string{"now"}}
	require.NoError(t, sw.Prepare(context.Background(), &r))
	assert.Equal(t, &ops.Seen{Source: "10.0.0.5:9092", Target: "10.0.1.7:9092", Swap: true}, r.Seen)
	line := sw.Call(r)
	assert.Equal(t, `POST /v1/`+projectID+`/eventrouter/jobs/`+jobID+`/action {"operation":"SWITCH","config":{"switch_now":true,"sink_address":"10.0.0.5:9092"}}`, line)

	_, err = sw.Execute(context.Background(), r)
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{line}, sent)
}

// The templates a job create may name are its parameter's values, sorted,
// for a menu.
func TestCreateOffersTheConfiguredTemplates(t *testing.T) {
	var create ops.Spec
	for _, s := range New(Setup{Templates: map[string]eg.JobTemplate{"kafka-dr": {}, "dcs-dr": {}}}).Operations() {
		if s.Name == "job create" {
			create = s
		}
	}
	assert.Equal(t, []ops.Param{
		{Name: "template", Type: ops.ParamChoice, Values: []string{"dcs-dr", "kafka-dr"}},
		{Name: "description", Type: ops.ParamText},
	}, create.Params)

	// A name two accounts share is offered after each account.
	for _, s := range Accounts(Setup{Templates: map[string]eg.JobTemplate{"kafka-dr": {}, "dcs-dr": {}}}, Setup{Account: "shanghai", Templates: map[string]eg.JobTemplate{"kafka-dr": {}}}).Operations() {
		if s.Name == "job create" {
			assert.Equal(t, []string{"dcs-dr", "default/kafka-dr", "shanghai/kafka-dr"}, s.Params[0].Values)
		}
	}
}

// An account without a job operation's string refuses it, naming the
// account; help says which accounts lack it.
func TestAJobOperationNotSetUpInOneAccount(t *testing.T) {
	specs := map[string]ops.Spec{}
	for _, s := range Accounts(Setup{Operations: eg.Operations{Stop: "STOP", Switch: "SWITCH"}}, Setup{Account: "shanghai", Operations: eg.Operations{Switch: "FLIP"}}).Operations() {
		specs[s.Name] = s
	}
	assert.Equal(t, "(not set up in account shanghai: needs its operations.stop) stop a professional event stream job", specs["job stop"].Summary)
	assert.Equal(t, "switch a disaster-recovery job's source and target", specs["job switch"].Summary)
	r := ops.Request{Op: "job stop", Target: ops.Target{Account: "shanghai", Kind: "job", ID: jobID}}
	err := specs["job stop"].Prepare(context.Background(), &r)
	var ie *ops.InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "job stop is not set up in account shanghai: the account's operations.stop in the config must name the provider's operation string", ie.Msg)

	for _, s := range Specs() {
		if s.Name == "job stop" {
			assert.Equal(t, "(not set up: needs eg.operations.stop) stop a professional event stream job", s.Summary, "as before accounts")
		}
	}
}
