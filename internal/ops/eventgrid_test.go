package ops_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/eg"
	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/operations/eventgrid"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/sandbox/egsim"
)

const (
	projectID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	jobID     = "fac59513-6c18-4266-bc81-5d412dfc1925"
	egToken   = "static-token"
	// namedJobID is a job whose addresses are host names.
	namedJobID = "0b5e9a44-3f1c-4d8e-9a7b-6c5d4e3f2a1b"
)

var egOperations = eg.Operations{Stop: "STOP", Switch: "SWITCH"}

// egWorld is an EventGrid simulator behind a counter of job actions.
type egWorld struct {
	*world
	egSim   *egsim.Simulator
	actions atomic.Int64
	api     *eg.Client
}

func newEGWorld(t *testing.T) *egWorld {
	t.Helper()
	w := &egWorld{world: newWorld(t)}
	w.egSim = egsim.New(egsim.Config{Jobs: []egsim.Job{
		{ID: jobID, Name: "orders-dr", Status: "RUNNING", SourceAddress: "10.0.0.5:9092", SinkAddress: "10.0.1.7:9092"},
		{ID: namedJobID, Name: "named-dr", Status: "RUNNING", SourceAddress: "kafka-a.example:9092", SinkAddress: "kafka-b.example:9092"},
	}}, egsim.Credentials{ProjectID: projectID, Token: egToken}, egOperations, egsim.WithCreateDelay(50*time.Millisecond))
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.actions.Add(1)
		}
		w.egSim.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	api, err := eg.New(srv.URL, srv.URL, eg.Config{Endpoint: eg.Sandbox, Region: "cn-north-4", ProjectID: projectID, Auth: eg.Auth{Mode: eg.AuthToken, Token: egToken}})
	require.NoError(t, err)
	w.api = api
	return w
}

func (w *egWorld) newBot(t *testing.T, templates map[string]eg.JobTemplate) *bot {
	t.Helper()
	return w.startBot(t, w.bus, ops.Settings{
		Targets:       ops.Targets{"job": {"orders-dr": jobID}},
		CheckInterval: 10 * time.Millisecond,
	}, ops.Deps{Providers: []ops.Provider{eventgrid.New(eventgrid.Setup{API: w.api, Operations: egOperations, Templates: templates})}})
}

func TestSwitchShowsItsEffectAndSwaps(t *testing.T) {
	w := newEGWorld(t)
	b := w.newBot(t, nil)
	r := propose(t, b, "job switch orders-dr now")
	assert.Equal(t, "10.0.0.5:9092", r.Args["sink"], "with no sink= the switch sends the current source")
	assert.Contains(t, r.Details, ops.Field{Label: "Effect", Value: "source and target swap: the source becomes 10.0.1.7:9092, the target 10.0.0.5:9092"})
	assert.Contains(t, r.Call, `{"operation":"SWITCH","config":{"switch_now":true,"sink_address":"10.0.0.5:9092"}}`)
	assert.Zero(t, w.actions.Load())

	done, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	require.Equal(t, ops.Succeeded, done.State, done.Outcome.Summary)
	assert.Regexp(t, `^Switched job orders-dr \(`+jobID+`\): now source 10.0.1.7:9092 -> target 10.0.0.5:9092 \(was 10.0.0.5:9092 -> 10.0.1.7:9092\), job ID `+jobID+`, request ID \S+$`, done.Outcome.Summary)
	j, _ := w.egSim.Job(jobID)
	assert.Equal(t, "10.0.1.7:9092", j.SourceAddress)
	assert.Equal(t, "10.0.0.5:9092", j.SinkAddress)
	assert.Contains(t, nextNotice(t, b).Text, "has source 10.0.1.7:9092, target 10.0.0.5:9092 after")
}

func TestSwitchToTheCurrentTargetChangesNothing(t *testing.T) {
	w := newEGWorld(t)
	b := w.newBot(t, nil)
	r := propose(t, b, "job switch orders-dr sink=10.0.1.7:9092")
	assert.Contains(t, r.Details, ops.Field{Label: "Effect", Value: "nothing changes: 10.0.1.7:9092 is already the target"})
	done, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	assert.Contains(t, done.Outcome.Summary, "nothing was switched, as the card said")
	j, _ := w.egSim.Job(jobID)
	assert.Equal(t, "10.0.0.5:9092", j.SourceAddress)
}

func TestSwitchToAnUnrelatedAddressIsRefusedBeforeAnything(t *testing.T) {
	w := newEGWorld(t)
	b := w.newBot(t, nil)
	_, err := b.svc.Handle(context.Background(), ops.Input{Text: "job switch orders-dr sink=10.9.9.9:9092", User: "U-alice"})
	var ie *ops.InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "sink=10.9.9.9:9092 matches neither the job's source (10.0.0.5:9092) nor its target (10.0.1.7:9092), so EventGrid would refuse it: nothing was sent", ie.Msg)
	open, err := b.svc.Pending(context.Background())
	require.NoError(t, err)
	assert.Empty(t, open)
	assert.Zero(t, w.actions.Load())
}

// A card made before another switch would switch back if sent: it is not.
func TestStaleSwitchCardSendsNothing(t *testing.T) {
	w := newEGWorld(t)
	b := w.newBot(t, nil)
	first := propose(t, b, "job switch orders-dr")
	second := propose(t, b, "job switch orders-dr")
	_, err := b.svc.Confirm(context.Background(), first.ID, "U-bob")
	require.NoError(t, err)
	require.EqualValues(t, 1, w.actions.Load())

	done, err := b.svc.Confirm(context.Background(), second.ID, "U-carol")
	require.NoError(t, err)
	assert.Equal(t, ops.Failed, done.State)
	assert.Contains(t, done.Outcome.Summary, "the job changed since the card was made (source now 10.0.1.7:9092, target 10.0.0.5:9092): nothing was sent")
	assert.EqualValues(t, 1, w.actions.Load(), "the stale card sent no switch")
}

func TestCreateStoresNoSecretAndShowsItMasked(t *testing.T) {
	const password = "kafka-pa55word-xyz"
	w := newEGWorld(t)
	tmpl := eg.JobTemplate{
		ClusterID: jobID,
		Source: eg.SourceConfig{Kafka: &eg.KafkaParams{ConfigType: "CLOUD", Region: "cn-north-4", ProjectID: projectID,
			InstanceID: "i-1", ClusterAlias: "a", Address: "10.0.0.5:9092", AuthenticateMode: "PLAINTEXT"}},
		Sink: eg.SinkConfig{Kafka: &eg.KafkaParams{ConfigType: "CLOUD", Region: "cn-north-4", ProjectID: projectID,
			InstanceID: "i-2", ClusterAlias: "b", Address: "10.0.1.7:9092", AuthenticateMode: "SASL_SSL",
			SASLMechanism: "PLAIN", UserName: "dr", PasswordEnv: "SINK_PW"}},
		Advance: eg.AdvanceConfig{Kafka2Kafka: &eg.Kafka2Kafka{Topics: "orders", ReplicaCnt: 1, SeekTo: "latest",
			CompressAlg: "none", IsSyncProgress: new(true), IsAddHeader: new(false)}},
	}
	cfg := eg.Config{Templates: map[string]eg.JobTemplate{"dr": tmpl}}
	cfg.ApplyEnv(func(k string) string { return map[string]string{"SINK_PW": password}[k] })
	b := w.newBot(t, cfg.Templates)

	r := propose(t, b, `job create nightly template=dr description="nightly copy"`)
	body := r.Details[len(r.Details)-1]
	assert.Equal(t, "Body (passwords masked)", body.Label)
	assert.Contains(t, body.Value, `"password": "******"`)
	stored, err := w.bus.Requests().Get(context.Background(), r.ID)
	require.NoError(t, err)
	raw, err := json.Marshal(stored)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), password)

	done, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	require.Equal(t, ops.Succeeded, done.State, done.Outcome.Summary)
	assert.Regexp(t, `^Created job nightly \((\S+)\): job ID (\S+), request ID \S+$`, done.Outcome.Summary)
	assert.Equal(t, done.Outcome.JobID, done.Target.ID, "the new job's ID is the target's from now on")
	assert.NotContains(t, done.Outcome.Summary, password)
	assert.Regexp(t, `^job nightly \(`+done.Target.ID+`\) is RUNNING after `, nextNotice(t, b).Text)

	_, err = b.svc.Handle(context.Background(), ops.Input{Text: "job create " + strings.Repeat("n", 129) + " template=dr", User: "U-alice"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "name")
}

// A job that reports host names, not IP addresses, can still be switched over:
// without sink= the bot sends the source exactly as the job reports it.
func TestSwitchOfAJobWithHostNames(t *testing.T) {
	w := newEGWorld(t)
	b := w.newBot(t, nil)
	r := propose(t, b, "job switch "+namedJobID)
	assert.Equal(t, "kafka-a.example:9092", r.Args["sink"])
	assert.Contains(t, r.Details, ops.Field{Label: "Effect", Value: "source and target swap: the source becomes kafka-b.example:9092, the target kafka-a.example:9092"})
	done, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	require.Equal(t, ops.Succeeded, done.State, done.Outcome.Summary)
	j, _ := w.egSim.Job(namedJobID)
	assert.Equal(t, "kafka-b.example:9092", j.SourceAddress)
}

// When the read before the switch fails, the person hears that nothing was
// sent, with the provider's code and request ID.
func TestSwitchSaysNothingWasSentWhenTheJobCannotBeReadAgain(t *testing.T) {
	w := newEGWorld(t)
	var reads atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && reads.Add(1) > 1 {
			rw.Header().Set("X-Request-Id", "req-gone")
			rw.WriteHeader(http.StatusNotFound)
			rw.Write([]byte(`{"error_code":"EG.00014040","error_msg":"Not request resource found","request_id":"req-gone"}`))
			return
		}
		if r.Method == http.MethodPost {
			w.actions.Add(1)
		}
		w.egSim.ServeHTTP(rw, r)
	}))
	defer srv.Close()
	api, err := eg.New(srv.URL, srv.URL, eg.Config{Endpoint: eg.Sandbox, Region: "cn-north-4", ProjectID: projectID, Auth: eg.Auth{Mode: eg.AuthToken, Token: egToken}})
	require.NoError(t, err)
	w.api = api
	b := w.newBot(t, nil)

	r := propose(t, b, "job switch orders-dr")
	done, err := b.svc.Confirm(context.Background(), r.ID, "U-bob")
	require.NoError(t, err)
	assert.Equal(t, ops.Failed, done.State)
	assert.Equal(t, "Could not switch job orders-dr ("+jobID+"): could not read the job again before switching, so nothing was sent: EG.00014040 Not request resource found (request ID req-gone)", done.Outcome.Summary)
	assert.Zero(t, w.actions.Load())
}

// A switch stored by the code before its state was typed (seen as strings,
// swap "true") still loads, and its confirmation sends the switch it showed.
func TestSwitchStoredBeforeSeenWasTypedStillConfirms(t *testing.T) {
	w := newEGWorld(t)
	b := w.newBot(t, nil)
	now := w.clock.Now().UTC()
	stored := fmt.Sprintf(`{"id":"r-01d5e1","op":"job switch","target":{"kind":"job","alias":"orders-dr","id":%q,"provider":"EventGrid","scope":"region cn-north-4, project %s"},`+
		`"args":{"sink":"10.0.0.5:9092"},"flags":["now"],"text":"job switch orders-dr now",`+
		`"call":"EventGrid POST /v1/%s/eventrouter/jobs/%s/action {\"operation\":\"SWITCH\",\"config\":{\"switch_now\":true,\"sink_address\":\"10.0.0.5:9092\"}}",`+
		`"seen":{"source":"10.0.0.5:9092","swap":"true","target":"10.0.1.7:9092"},`+
		`"requester":"U-alice","origin":{"frontend":"test"},"state":"pending","created_at":%q,"expires_at":%q}`,
		jobID, projectID, projectID, jobID, now.Format(time.RFC3339Nano), now.Add(10*time.Minute).Format(time.RFC3339Nano))
	js, err := jetstream.New(w.bus.Conn())
	require.NoError(t, err)
	kv, err := js.KeyValue(context.Background(), bus.RequestsBucket)
	require.NoError(t, err)
	_, err = kv.Create(context.Background(), "r-01d5e1", []byte(stored))
	require.NoError(t, err)

	done, err := b.svc.Confirm(context.Background(), "r-01d5e1", "U-bob")
	require.NoError(t, err)
	require.Equal(t, ops.Succeeded, done.State, done.Outcome.Summary)
	assert.Equal(t, &ops.Seen{Source: "10.0.0.5:9092", Target: "10.0.1.7:9092", Swap: true}, done.Seen)
	assert.Contains(t, done.Outcome.Summary, "Switched job orders-dr")
	j, _ := w.egSim.Job(jobID)
	assert.Equal(t, "10.0.1.7:9092", j.SourceAddress)
	assert.Equal(t, "10.0.0.5:9092", j.SinkAddress)

	// What is stored now reads as before: swap is still the string "true".
	e, err := kv.Get(context.Background(), "r-01d5e1")
	require.NoError(t, err)
	assert.Contains(t, string(e.Value()), `"seen":{"source":"10.0.0.5:9092","target":"10.0.1.7:9092","swap":"true"}`)
}
