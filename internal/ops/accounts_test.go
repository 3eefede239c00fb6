package ops_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/eg"
	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/operations"
	"github.com/streamops/streamops/internal/operations/eventgrid"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/sandbox/egsim"
	"github.com/streamops/streamops/internal/sandbox/enossim"
)

// accountServer is one provider account's simulator behind a server that
// keeps a line for each request it received (see its how), and answers
// every request with fail while failing is set (nil: it never fails).
type accountServer struct {
	*httptest.Server
	failing atomic.Bool
	mu      sync.Mutex
	got     []string
}

func serveAccount(t *testing.T, sim http.Handler, how func(r *http.Request, body []byte) string, fail http.HandlerFunc) *accountServer {
	t.Helper()
	a := &accountServer{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		assert.NoError(t, err)
		r.Body = io.NopCloser(bytes.NewReader(body))
		a.mu.Lock()
		a.got = append(a.got, r.Method+" "+r.URL.Path+" "+how(r, body))
		a.mu.Unlock()
		if fail != nil && a.failing.Load() {
			fail(w, r)
			return
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(a.Close)
	return a
}

// take is what the server received since the last take.
func (a *accountServer) take() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	got := a.got
	a.got = nil
	return got
}

// egCredentials says how an EventGrid request was signed in: the IAM
// password sign-in with its user and project, an AK/SK signature with its
// access key, or a token.
func egCredentials(r *http.Request, body []byte) string {
	if r.URL.Path == "/v3/auth/tokens" {
		var req eg.IAMRequest
		if json.Unmarshal(body, &req) != nil {
			return "unreadable sign-in"
		}
		return "password of " + req.Auth.Identity.Password.User.Name + " for project " + req.Auth.Scope.Project.ID
	}
	if m := regexp.MustCompile(`^SDK-HMAC-SHA256 Access=([^,]+),`).FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return "signed by " + m[1]
	}
	if r.Header.Get("X-Auth-Token") != "" {
		return "token"
	}
	return "no credentials"
}

// egAccount is one EventGrid account of the test: its own region,
// project, credentials, operation strings and simulator.
type egAccount struct {
	name, region, project string
	server                *accountServer
	sim                   *egsim.Simulator
	setup                 eventgrid.Setup
	// signed is how its calls are signed in, as egCredentials says;
	// each is what every request it receives must be, as accountServer
	// keeps it.
	signed string
	each   *regexp.Regexp
}

const (
	egBeijingProject  = "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"
	egShanghaiProject = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
	egBeijingJob      = "10000000-0000-4000-8000-000000000001"
	egBeijingSpare    = "10000000-0000-4000-8000-000000000002"
	egShanghaiJob     = "20000000-0000-4000-8000-000000000001"
	egShanghaiSpare   = "20000000-0000-4000-8000-000000000002"
	egBeijingStream   = "s-beijing-1"
	egShanghaiStream  = "s-shanghai-1"
)

// egFail is EventGrid's answer to a failed call: a 500 with its code,
// message and request ID.
func egFail(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("X-Request-Id", "rid-500")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprint(w, `{"error_code":"EG.00015000","error_msg":"Internal Server Error","request_id":"rid-500"}`)
}

// twoRegions are the default account, in cn-north-4, signed in with an
// IAM password, and account shanghai, in cn-east-3, signing with AK/SK;
// each has a job and a stream the config names and one it does not, and
// its own operation strings and job templates.
func twoRegions(t *testing.T) (beijing, shanghai *egAccount) {
	t.Helper()
	template := func(project string) eg.JobTemplate {
		kafka := &eg.KafkaParams{ConfigType: "CLOUD", Region: "r", ProjectID: project, InstanceID: "i-1", ClusterAlias: "a", Address: "10.0.0.5:9092", AuthenticateMode: "PLAINTEXT"}
		return eg.JobTemplate{ClusterID: "c-1", Source: eg.SourceConfig{Kafka: kafka}, Sink: eg.SinkConfig{Kafka: kafka},
			Advance: eg.AdvanceConfig{Kafka2Kafka: &eg.Kafka2Kafka{Topics: "orders", ReplicaCnt: 1, SeekTo: "latest", CompressAlg: "none", IsSyncProgress: new(true), IsAddHeader: new(false)}}}
	}
	account := func(name, region, project string, creds egsim.Credentials, auth eg.Auth, signed string, operations eg.Operations, job, spare, stream string, templates map[string]eg.JobTemplate) *egAccount {
		a := &egAccount{name: name, region: region, project: project, signed: signed}
		creds.ProjectID = project
		a.sim = egsim.New(egsim.Config{
			Jobs: []egsim.Job{
				{ID: job, Name: name + "-dr", SourceAddress: "10.0.0.5:9092", SinkAddress: "10.0.1.7:9092"},
				{ID: spare, Name: name + "-spare", Status: "STOPPED"},
			},
			Streams: []egsim.Stream{{ID: stream, Name: name + "-clicks"}},
		}, creds, operations, egsim.WithCreateDelay(20*time.Millisecond))
		a.server = serveAccount(t, a.sim, egCredentials, egFail)
		api, err := eg.New(a.server.URL, a.server.URL, eg.Config{Endpoint: eg.Sandbox, Region: region, ProjectID: project, Auth: auth},
			eg.WithThrottleWait(func(int) time.Duration { return time.Millisecond }))
		require.NoError(t, err)
		a.setup = eventgrid.Setup{Account: name, API: api, Operations: operations, Templates: templates}
		return a
	}
	beijing = account(ops.DefaultAccount, "cn-north-4", egBeijingProject,
		egsim.Credentials{Domain: "corp", User: "bj-bot", Password: "bj-pw"},
		eg.Auth{Mode: eg.AuthPassword, Domain: "corp", User: "bj-bot", Password: "bj-pw"}, "token",
		eg.Operations{Stop: "STOP", Switch: "SWITCH"}, egBeijingJob, egBeijingSpare, egBeijingStream,
		map[string]eg.JobTemplate{"kafka-dr": template(egBeijingProject)})
	beijing.each = regexp.MustCompile(`^(POST /v3/auth/tokens password of bj-bot for project ` + egBeijingProject + `|(GET|POST) /v1/` + egBeijingProject + `/\S+ token)$`)
	shanghai = account("shanghai", "cn-east-3", egShanghaiProject,
		egsim.Credentials{AccessKey: "SHAK", SecretKey: "sh-secret"},
		eg.Auth{Mode: eg.AuthAKSK, AccessKey: "SHAK", SecretKey: "sh-secret"}, "signed by SHAK",
		eg.Operations{Stop: "HALT", Switch: "FLIP"}, egShanghaiJob, egShanghaiSpare, egShanghaiStream,
		map[string]eg.JobTemplate{"kafka-dr": template(egShanghaiProject), "sh-dr": template(egShanghaiProject)})
	shanghai.each = regexp.MustCompile(`^(GET|POST) /v1/` + egShanghaiProject + `/\S+ signed by SHAK$`)
	return beijing, shanghai
}

// twoRegionBot is a bot over both accounts, each kind's default account
// the default one.
func (w *world) twoRegionBot(t *testing.T, beijing, shanghai *egAccount, m ops.Metrics) *bot {
	t.Helper()
	accounts := []string{ops.DefaultAccount, "shanghai"}
	return w.startBot(t, w.bus, ops.Settings{
		Targets: ops.Targets{
			"job":    {"orders-dr": egBeijingJob, "orders-dr-sh": "shanghai/" + egShanghaiJob},
			"stream": {"clicks": egBeijingStream, "clicks-sh": "shanghai/" + egShanghaiStream},
		},
		Accounts:      map[string][]string{"job": accounts, "stream": accounts},
		CheckInterval: 10 * time.Millisecond,
	}, ops.Deps{Metrics: m, Providers: []ops.Provider{eventgrid.Accounts(beijing.setup, shanghai.setup)}})
}

// Every kind of operation on a target of either account is sent to that
// account's region only: its project in the path, its credentials, its
// operation strings; the card, the reply and the metrics name the account.
func TestEachEventGridCallGoesToItsAccount(t *testing.T) {
	w := newWorld(t)
	beijing, shanghai := twoRegions(t)
	m := &recorded{}
	b := w.twoRegionBot(t, beijing, shanghai, m)
	ctx := context.Background()

	// sent checks that what a command sent reached only the account's
	// server, each request as the account must send it, and includes want.
	sent := func(a, other *egAccount, cmd string, want ...string) {
		t.Helper()
		got := a.server.take()
		assert.Empty(t, other.server.take(), "%s: nothing reaches account %s", cmd, other.name)
		require.NotEmpty(t, got, cmd)
		for _, line := range got {
			assert.Regexp(t, a.each, line, cmd)
		}
		for _, w := range want {
			assert.Contains(t, got, w, cmd)
		}
	}
	act := func(cmd string) ops.Request {
		t.Helper()
		r := propose(t, b, cmd)
		done, err := b.svc.Confirm(ctx, r.ID, "U-bob")
		require.NoError(t, err)
		require.Equal(t, ops.Succeeded, done.State, "%s: %s", cmd, done.Outcome.Summary)
		nextNotice(t, b) // the status check's: the reads it made are in
		return done
	}

	for _, c := range []struct {
		a, other       *egAccount
		job, stream    string
		jobID, stream0 string
		scope, stop    string
	}{
		{beijing, shanghai, "orders-dr", "clicks", egBeijingJob, egBeijingStream, "region cn-north-4, project " + egBeijingProject, "STOP"},
		{shanghai, beijing, "orders-dr-sh", "clicks-sh", egShanghaiJob, egShanghaiStream, "account shanghai, region cn-east-3, project " + egShanghaiProject, "HALT"},
	} {
		p, auth := "/v1/"+c.a.project, " "+c.a.signed

		r := act("stream pause " + c.stream)
		assert.Equal(t, c.scope, r.Target.Scope, "the card says where the target is")
		sent(c.a, c.other, "stream pause", "POST "+p+"/eventstreamings/operate/"+c.stream0+auth)
		act("stream start " + c.stream)
		sent(c.a, c.other, "stream start", "POST "+p+"/eventstreamings/operate/"+c.stream0+auth)

		r = act("job stop " + c.job)
		assert.Contains(t, r.Call, `{"operation":"`+c.stop+`"}`, "the account's own operation string")
		sent(c.a, c.other, "job stop", "POST "+p+"/eventrouter/jobs/"+c.jobID+"/action"+auth)
		act("job start " + c.job)
		sent(c.a, c.other, "job start", "POST "+p+"/eventrouter/jobs/"+c.jobID+"/action"+auth)
		r = act("job switch " + c.job)
		assert.Equal(t, c.scope, r.Target.Scope)
		sent(c.a, c.other, "job switch", "GET "+p+"/eventrouter/jobs/"+c.jobID+auth, "POST "+p+"/eventrouter/jobs/"+c.jobID+"/action"+auth)
		j, _ := c.a.sim.Job(c.jobID)
		assert.Equal(t, "10.0.1.7:9092", j.SourceAddress, "switched in its own region")

		reply, err := b.svc.Handle(ctx, ops.Input{Text: "job show " + c.job, User: "U-alice"})
		require.NoError(t, err)
		assert.Contains(t, reply.Text, fmt.Sprintf("(name %q, %s)", c.a.name+"-dr", c.scope), "the reply says where the job is")
		sent(c.a, c.other, "job show", "GET "+p+"/eventrouter/jobs/"+c.jobID+auth)
		reply, err = b.svc.Handle(ctx, ops.Input{Text: "stream show " + c.stream, User: "U-alice"})
		require.NoError(t, err)
		assert.Contains(t, reply.Text, c.scope)
		sent(c.a, c.other, "stream show", "GET "+p+"/eventstreamings/"+c.stream0+auth)
	}
	assert.Equal(t, []string{
		"EventGrid default stream pause", "EventGrid default stream start", "EventGrid default job stop", "EventGrid default job start", "EventGrid default job switch",
		"EventGrid shanghai stream pause", "EventGrid shanghai stream start", "EventGrid shanghai job stop", "EventGrid shanghai job start", "EventGrid shanghai job switch",
	}, m.providerCalls(), "each call is counted under its account")

	// A job is created in its template's account; a template both have
	// is named with its account.
	_, err := b.svc.Handle(ctx, ops.Input{Text: "job create nightly template=kafka-dr", User: "U-alice"})
	var ie *ops.InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, `accounts default and shanghai each have a template "kafka-dr": say which account the job is created in with template=default/kafka-dr`, ie.Msg)
	_, err = b.svc.Handle(ctx, ops.Input{Text: "job create nightly template=nosuch", User: "U-alice"})
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, `unknown template "nosuch". Known: default/kafka-dr, sh-dr, shanghai/kafka-dr`, ie.Msg)
	assert.Empty(t, beijing.server.take())
	assert.Empty(t, shanghai.server.take())
	for _, c := range []struct {
		cmd      string
		a, other *egAccount
		account  string // as the target stores it
	}{
		{"job create nightly-sh template=sh-dr", shanghai, beijing, "shanghai"},
		{"job create nightly-sh2 template=shanghai/kafka-dr", shanghai, beijing, "shanghai"},
		{"job create nightly-sh3 template=shanghai/sh-dr", shanghai, beijing, "shanghai"}, // after its account though only one has it
		{"job create nightly template=default/kafka-dr", beijing, shanghai, ""},
	} {
		r := act(c.cmd)
		sent(c.a, c.other, c.cmd, "POST /v1/"+c.a.project+"/eventrouter/jobs "+c.a.signed)
		assert.Equal(t, c.account, r.Target.Account, c.cmd)
		_, ok := c.a.sim.Job(r.Target.ID)
		assert.True(t, ok, "%s: created in account %s", c.cmd, c.a.name)
	}
}

// A list covers every account, one section each; an account that fails is
// named with what its provider said, and the others are still listed.
func TestListsCoverEveryAccountAndNameTheOneThatFailed(t *testing.T) {
	w := newWorld(t)
	beijing, shanghai := twoRegions(t)
	b := w.twoRegionBot(t, beijing, shanghai, nil)
	ctx := context.Background()
	list := func(cmd string) (string, error) {
		reply, err := b.svc.Handle(ctx, ops.Input{Text: cmd, User: "U-alice"})
		return reply.Text, err
	}

	got, err := list("job list")
	require.NoError(t, err)
	assert.Regexp(t, `^2 jobs in region cn-north-4, project `+egBeijingProject+`:\n`+
		`  `+egBeijingJob+` +RUNNING +default-dr\n`+
		`  `+egBeijingSpare+` +STOPPED +default-spare\n\n`+
		`2 jobs in account shanghai, region cn-east-3, project `+egShanghaiProject+`:\n`+
		`  `+egShanghaiJob+` +RUNNING +shanghai-dr\n`+
		`  `+egShanghaiSpare+` +STOPPED +shanghai-spare$`, got)

	shanghai.server.failing.Store(true)
	got, err = list("stream list")
	require.NoError(t, err)
	assert.Regexp(t, `^1 event stream in region cn-north-4, project `+egBeijingProject+`:\n  s-beijing-1 +RUNNING +default-clicks\n\n`+
		`stream list failed in account shanghai, region cn-east-3, project `+egShanghaiProject+`: EG.00015000 Internal Server Error \(request ID rid-500\)$`, got)
	got, err = list("job list")
	require.NoError(t, err)
	assert.Contains(t, got, "2 jobs in region cn-north-4")
	assert.Contains(t, got, "job list failed in account shanghai, region cn-east-3, project "+egShanghaiProject+": EG.00015000 Internal Server Error (request ID rid-500)")

	beijing.server.failing.Store(true)
	_, err = list("job list")
	require.Error(t, err, "every account failed")
	assert.Contains(t, err.Error(), "job list failed: every account failed: in region cn-north-4, project "+egBeijingProject+": EG.00015000 Internal Server Error (request ID rid-500); "+
		"in account shanghai, region cn-east-3, project "+egShanghaiProject+": EG.00015000 Internal Server Error (request ID rid-500)")
}

// The targets offered to pick are every account's: one outside the
// kind's default account is offered as account/ID, which the commands
// take; one an alias stands for, in either account, is offered by its
// alias only. When one account cannot be listed, the others' are offered.
func TestChoicesOfferEveryAccountsTargets(t *testing.T) {
	w := newWorld(t)
	beijing, shanghai := twoRegions(t)
	b := w.twoRegionBot(t, beijing, shanghai, nil)
	ctx := context.Background()

	got, err := b.svc.Choices(ctx, operation(t, b, "job stop"), "", 100)
	require.NoError(t, err)
	assert.Equal(t, []ops.Choice{
		{Word: "orders-dr", Label: "orders-dr (" + egBeijingJob + ")"},
		{Word: "orders-dr-sh", Label: "orders-dr-sh (shanghai/" + egShanghaiJob + ")"},
		{Word: egBeijingSpare, Label: "default-spare (" + egBeijingSpare + "), STOPPED"},
		{Word: "shanghai/" + egShanghaiSpare, Label: "shanghai-spare (shanghai/" + egShanghaiSpare + "), STOPPED"},
	}, got)
	got, err = b.svc.Choices(ctx, operation(t, b, "job stop"), "SHANGHAI/", 100)
	require.NoError(t, err)
	assert.Equal(t, []string{"orders-dr-sh", "shanghai/" + egShanghaiSpare}, words(got), "the account is part of what matches")

	reply, err := b.svc.Handle(ctx, ops.Input{Text: "job show shanghai/" + egShanghaiSpare, User: "U-alice"})
	require.NoError(t, err)
	assert.Contains(t, reply.Text, "STOPPED")
	assert.Contains(t, reply.Text, "account shanghai, region cn-east-3")
	beijing.server.take()
	assert.NotEmpty(t, shanghai.server.take())

	w.clock.Advance(31 * time.Second) // past the reuse of the last list
	shanghai.server.failing.Store(true)
	got, err = b.svc.Choices(ctx, operation(t, b, "job stop"), "", 100)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "job list: in account shanghai, region cn-east-3, project "+egShanghaiProject+": EG.00015000 Internal Server Error (request ID rid-500)")
	assert.Equal(t, []string{"orders-dr", "orders-dr-sh", egBeijingSpare}, words(got), "the default account's, when shanghai fails")
}

// enosAccount is one EnOS organisation of the test.
type enosAccount struct {
	name, org, key string
	server         *accountServer
	sim            *enossim.Simulator
	account        pipelines.Account
}

// enosCredentials says how an EnOS request was signed in: the token
// service with its app key, or a signed call for its org.
func enosCredentials(r *http.Request, body []byte) string {
	if strings.HasPrefix(r.URL.Path, "/apim-token-service/") {
		var req struct {
			AppKey string `json:"appKey"`
		}
		if json.Unmarshal(body, &req) != nil {
			return "unreadable token request"
		}
		return "app key " + req.AppKey
	}
	return "org " + r.URL.Query().Get("orgId")
}

// twoOrgs are the default EnOS account and account eu, each its own org
// with its own app key and secret, and a pipeline each.
func twoOrgs(t *testing.T) (home, eu *enosAccount) {
	t.Helper()
	account := func(name, org, key, secret, pipeline string) *enosAccount {
		a := &enosAccount{name: name, org: org, key: key}
		a.sim = enossim.New(enossim.Config{Pipelines: []enossim.Pipeline{{ID: pipeline, Name: name + "-etl", Status: enos.StatusRunning}}}, org, key, secret)
		a.server = serveAccount(t, a.sim, enosCredentials, nil)
		a.account = pipelines.Account{Name: name, API: enos.New(a.server.URL, enos.Config{OrgID: org, AppKey: key, AppSecret: secret})}
		return a
	}
	return account(ops.DefaultAccount, "o-home", "home-key", "home-secret", "p-home-1"), account("eu", "o-eu", "eu-key", "eu-secret", "p-eu-1")
}

// Each pipeline operation goes to its org's gateway with that org's app
// key; a list names the org that failed and still lists the other.
func TestEachEnOSCallGoesToItsOrg(t *testing.T) {
	w := newWorld(t)
	home, eu := twoOrgs(t)
	m := &recorded{}
	b := w.startBot(t, w.bus, ops.Settings{
		Targets:       ops.Targets{"pipeline": {"orders-etl": "p-home-1", "orders-eu": "eu/p-eu-1"}},
		Accounts:      map[string][]string{"pipeline": {ops.DefaultAccount, "eu"}},
		CheckInterval: 10 * time.Millisecond,
	}, ops.Deps{Metrics: m, Providers: []ops.Provider{pipelines.Accounts(home.account, eu.account)}})
	ctx := context.Background()

	for _, c := range []struct {
		a, other *enosAccount
		alias    string
		id       string
		scope    string
	}{
		{home, eu, "orders-etl", "p-home-1", "org o-home"},
		{eu, home, "orders-eu", "p-eu-1", "account eu, org o-eu"},
	} {
		for _, verb := range []string{"pause", "start", "stop"} {
			r := propose(t, b, "pipeline "+verb+" "+c.alias)
			assert.Equal(t, c.scope, r.Target.Scope)
			assert.Equal(t, "EnOS POST /streaming/v2.0/streaming/pipeline/"+c.id+"?action="+verb+"&orgId="+c.a.org, r.Call)
			done, err := b.svc.Confirm(ctx, r.ID, "U-bob")
			require.NoError(t, err)
			require.Equal(t, ops.Succeeded, done.State, done.Outcome.Summary)
			nextNotice(t, b)
			got := c.a.server.take()
			assert.Empty(t, c.other.server.take(), "nothing reaches account %s", c.other.name)
			assert.Contains(t, got, "POST /streaming/v2.0/streaming/pipeline/"+c.id+" org "+c.a.org, verb)
			for _, line := range got {
				assert.Regexp(t, `^(POST /apim-token-service/v2.0/token/get app key `+c.a.key+`|(GET|POST) /streaming/\S+ org `+c.a.org+`$)`, line)
			}
		}
		reply, err := b.svc.Handle(ctx, ops.Input{Text: "pipeline show " + c.alias, User: "U-alice"})
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("Pipeline %s (%s): STOPPED (name %q, %s)", c.alias, c.id, c.a.name+"-etl", c.scope), reply.Text)
		assert.Equal(t, []string{"GET /streaming/v2.0/streaming/pipeline/" + c.id + " org " + c.a.org}, c.a.server.take())
		assert.Empty(t, c.other.server.take())
	}
	assert.Equal(t, []string{"EnOS default pipeline pause", "EnOS default pipeline start", "EnOS default pipeline stop",
		"EnOS eu pipeline pause", "EnOS eu pipeline start", "EnOS eu pipeline stop"}, m.providerCalls())

	reply, err := b.svc.Handle(ctx, ops.Input{Text: "pipeline list", User: "U-alice"})
	require.NoError(t, err)
	assert.Regexp(t, `^1 pipeline in org o-home:\n  p-home-1 +STOPPED +default-etl\n\n1 pipeline in account eu, org o-eu:\n  p-eu-1 +STOPPED +eu-etl$`, reply.Text)

	eu.server.Close()
	reply, err = b.svc.Handle(ctx, ops.Input{Text: "pipeline list", User: "U-alice"})
	require.NoError(t, err)
	assert.Regexp(t, `^1 pipeline in org o-home:\n  p-home-1 +STOPPED +default-etl\n\npipeline list failed in account eu, org o-eu: .*connect`, reply.Text)
}

// A job is created in its template's account, known only once the request
// is prepared: the policy decides on that account, not on the default one
// the name was first resolved in.
func TestPolicyDecidesOnTheAccountACreateGoesTo(t *testing.T) {
	w := newWorld(t)
	beijing, shanghai := twoRegions(t)
	accounts := []string{ops.DefaultAccount, "shanghai"}
	dir := ops.Directory{Accounts: map[string][]string{"job": accounts, "stream": accounts}}
	b := w.startBot(t, w.bus, ops.Settings{Accounts: dir.Accounts, CheckInterval: 10 * time.Millisecond}, ops.Deps{
		Providers: []ops.Provider{eventgrid.Accounts(beijing.setup, shanghai.setup)},
		Policy: &ops.Policy{Rules: []ops.Rule{
			{Name: "shanghai-creates", Operations: []string{"job create"}, Targets: []string{"shanghai/*"}, Requesters: []string{"U-lead"}, Confirmers: []string{"U-lead"}},
			{Name: "the-rest", Operations: []string{"*"}, Requesters: []string{"*"}, Confirmers: []string{"*"}},
		}, Commands: operations.Names(), Kinds: operations.Kinds(), Targets: dir},
	})
	ctx := context.Background()
	ask := func(user, cmd string) (ops.Reply, error) {
		return b.svc.Handle(ctx, ops.Input{Text: cmd, User: user, Origin: ops.Origin{Frontend: ops.FrontendConsole}})
	}

	_, err := ask("U-bob", "job create nightly-sh template=sh-dr")
	var no *ops.Refusal
	require.ErrorAs(t, err, &no)
	assert.Equal(t, "shanghai-creates", no.Rule)
	assert.Equal(t, ops.NotRequester, no.Why)

	reply, err := ask("U-lead", "job create nightly-sh template=sh-dr")
	require.NoError(t, err)
	assert.Equal(t, "shanghai", reply.Request.Target.Account)
	reply, err = ask("U-bob", "job create nightly template=default/kafka-dr")
	require.NoError(t, err, "the default account's creates are the rest's")
	assert.Equal(t, "", reply.Request.Target.Account)
	assert.Empty(t, beijing.server.take(), "nothing was sent to ask")
	assert.Empty(t, shanghai.server.take(), "nothing was sent to ask")
}
