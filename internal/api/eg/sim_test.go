package eg_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/eg"
	"github.com/streamops/streamops/internal/fakeclock"
	"github.com/streamops/streamops/internal/sandbox/egsim"
)

const project = "0123456789abcdef0123456789abcdef"

var creds = egsim.Credentials{
	ProjectID: project, Token: "static-token",
	Domain: "acme", User: "bot", Password: "iam-pw",
	AccessKey: "AKTEST", SecretKey: "SKTEST",
}

var ops = eg.Operations{Stop: "STOP", Switch: "SWITCH"}

var quiet = slog.New(slog.DiscardHandler)

func newClock() *fakeclock.Clock { return fakeclock.New(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)) }

// sandbox is a simulator behind a real HTTP server that counts IAM and EG calls.
type sandbox struct {
	*httptest.Server
	sim     *egsim.Simulator
	iam, eg atomic.Int32
}

func newSandbox(t *testing.T, simClock *fakeclock.Clock) *sandbox {
	t.Helper()
	cfg := egsim.Config{
		Streams: []egsim.Stream{{ID: "es-1", Name: "orders", Status: "RUNNING"}},
		Jobs:    []egsim.Job{{ID: "job-1", Name: "dr", SourceAddress: "10.0.0.1:9092", SinkAddress: "10.1.0.1:9092"}},
	}
	require.NoError(t, cfg.Validate())
	sb := &sandbox{}
	sb.sim = egsim.New(cfg, creds, ops, egsim.WithClock(simClock.Now), egsim.WithCreateDelay(time.Minute), egsim.WithLogger(quiet))
	sb.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v3/") {
			sb.iam.Add(1)
		} else {
			sb.eg.Add(1)
		}
		sb.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(sb.Close)
	return sb
}

func config(auth eg.Auth) eg.Config {
	return eg.Config{Endpoint: eg.Sandbox, Region: "cn-north-4", ProjectID: project, Auth: auth, Operations: ops, Timeout: 5 * time.Second}
}

func client(t *testing.T, sb *sandbox, auth eg.Auth, now func() time.Time) *eg.Client {
	t.Helper()
	c, err := eg.New(sb.URL, sb.URL, config(auth), eg.WithClock(now), eg.WithLogger(quiet),
		eg.WithThrottleWait(func(int) time.Duration { return time.Millisecond }))
	require.NoError(t, err)
	return c
}

var modes = map[string]eg.Auth{
	"token":    {Mode: eg.AuthToken, Token: "static-token"},
	"password": {Mode: eg.AuthPassword, Domain: "acme", User: "bot", Password: "iam-pw"},
	"aksk":     {Mode: eg.AuthAKSK, AccessKey: "AKTEST", SecretKey: "SKTEST"},
}

func TestEveryAuthModeAgainstTheSimulator(t *testing.T) {
	for name, auth := range modes {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			sb := newSandbox(t, clk)
			c := client(t, sb, auth, clk.Now)
			ctx := context.Background()

			res, err := c.OperateStream(ctx, "es-1", eg.StreamPause)
			require.NoError(t, err)
			assert.Equal(t, "es-1", res.ID)
			assert.Regexp(t, `^[0-9a-f-]{36}-\d+-egsim$`, res.RequestID)
			s, err := c.Stream(ctx, "es-1")
			require.NoError(t, err)
			assert.Equal(t, eg.StreamStopped, s.Status)

			res, err = c.ActOnJob(ctx, "job-1", eg.JobAction{Operation: "SWITCH", Config: &eg.ActionConfig{SwitchNow: true, SinkAddress: "10.0.0.1:9092"}})
			require.NoError(t, err)
			assert.Equal(t, "job-1", res.ID)
			j, _ := sb.sim.Job("job-1")
			assert.Equal(t, "10.1.0.1:9092", j.SourceAddress, "switched over")

			req, err := eg.JobTemplate{
				ClusterID: "c-1",
				Source:    eg.SourceConfig{DCS: &eg.DCSParams{ConfigType: "CLOUD", Region: "r", ProjectID: "p", InstanceID: "i1", Address: "10.2.0.1:6379", PasswordEnv: "REDIS_PW"}},
				Sink:      eg.SinkConfig{DCS: &eg.DCSParams{ConfigType: "CLOUD", Region: "r", ProjectID: "p", InstanceID: "i2", Address: "10.3.0.1:6379"}},
			}.Render("redis-"+name, "", func(string) string { return "pw" })
			require.NoError(t, err)
			job, rid, err := c.CreateJob(ctx, req)
			require.NoError(t, err)
			assert.NotEmpty(t, rid)
			assert.Equal(t, "CREATING", job.Status)
			assert.Equal(t, eg.MaskedSecret, job.SourceConfig.DCS.Password)

			jobs, err := c.Jobs(ctx)
			require.NoError(t, err)
			assert.Len(t, jobs, 2)
			streams, err := c.Streams(ctx)
			require.NoError(t, err)
			assert.Len(t, streams, 1)
		})
	}
}

func TestWrongCredentialsAreRefused(t *testing.T) {
	cases := map[string]struct {
		auth eg.Auth
		code string
	}{
		"token":      {eg.Auth{Mode: eg.AuthToken, Token: "nope"}, "EG.00014010"},
		"secret key": {eg.Auth{Mode: eg.AuthAKSK, AccessKey: "AKTEST", SecretKey: "wrong"}, "APIGW.0301"},
		"access key": {eg.Auth{Mode: eg.AuthAKSK, AccessKey: "OTHER", SecretKey: "SKTEST"}, "APIGW.0301"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			sb := newSandbox(t, clk)
			c := client(t, sb, tc.auth, clk.Now)
			_, err := c.ActOnJob(context.Background(), "job-1", eg.JobAction{Operation: "STOP"})
			var e *eg.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, http.StatusUnauthorized, e.HTTPStatus)
			assert.Equal(t, tc.code, e.Code)
			assert.NotEmpty(t, e.RequestID)
			assert.Equal(t, int32(1), sb.eg.Load(), "never resent")
			j, _ := sb.sim.Job("job-1")
			assert.Equal(t, "RUNNING", j.Status)
		})
	}
}

func TestWrongIAMPasswordSendsNothingToEG(t *testing.T) {
	clk := newClock()
	sb := newSandbox(t, clk)
	c := client(t, sb, eg.Auth{Mode: eg.AuthPassword, Domain: "acme", User: "bot", Password: "wrong"}, clk.Now)
	_, err := c.OperateStream(context.Background(), "es-1", eg.StreamPause)
	var e *eg.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusUnauthorized, e.HTTPStatus)
	assert.Contains(t, err.Error(), "The username or password is wrong.")
	assert.NotContains(t, err.Error(), "wrong\"")
	assert.Equal(t, int32(1), sb.iam.Load())
	assert.Zero(t, sb.eg.Load())
}

func TestWrongProjectIsForbidden(t *testing.T) {
	for name, auth := range modes {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			sb := newSandbox(t, clk)
			cfg := config(auth)
			cfg.ProjectID = "ffffffffffffffffffffffffffffffff"
			c, err := eg.New(sb.URL, sb.URL, cfg, eg.WithClock(clk.Now), eg.WithLogger(quiet))
			require.NoError(t, err)
			_, err = c.Stream(context.Background(), "es-1")
			var e *eg.Error
			require.ErrorAs(t, err, &e)
			if auth.Mode == eg.AuthPassword {
				// IAM refuses to scope a token to a project the user lacks.
				assert.Equal(t, http.StatusUnauthorized, e.HTTPStatus)
				return
			}
			assert.Equal(t, http.StatusForbidden, e.HTTPStatus)
			assert.Equal(t, "EG.00014030", e.Code)
		})
	}
}

func TestIAMTokenIsCachedAndRenewedBeforeExpiry(t *testing.T) {
	clk := newClock()
	sb := newSandbox(t, clk)
	c := client(t, sb, modes["password"], clk.Now)
	ctx := context.Background()
	for range 3 {
		_, err := c.Stream(ctx, "es-1")
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), sb.iam.Load(), "one token for many calls")

	clk.Advance(23*time.Hour + 54*time.Minute)
	_, err := c.Stream(ctx, "es-1")
	require.NoError(t, err)
	assert.Equal(t, int32(1), sb.iam.Load(), "still well before expires_at")

	clk.Advance(2 * time.Minute)
	_, err = c.Stream(ctx, "es-1")
	require.NoError(t, err)
	assert.Equal(t, int32(2), sb.iam.Load(), "renewed shortly before expires_at")
	assert.Equal(t, int32(5), sb.eg.Load(), "no call was refused")
}

// The simulator's clock runs ahead, so it refuses a token the client still
// believes valid: the client renews once and resends the call once.
func TestIAMTokenRenewedOnceWhenRefused(t *testing.T) {
	clientClock, simClock := newClock(), newClock()
	sb := newSandbox(t, simClock)
	c := client(t, sb, modes["password"], clientClock.Now)
	ctx := context.Background()
	_, err := c.Stream(ctx, "es-1")
	require.NoError(t, err)

	simClock.Advance(25 * time.Hour)
	res, err := c.ActOnJob(ctx, "job-1", eg.JobAction{Operation: "STOP"})
	require.NoError(t, err)
	assert.Equal(t, "job-1", res.ID)
	assert.Equal(t, int32(2), sb.iam.Load())
	assert.Equal(t, int32(3), sb.eg.Load(), "the refused call was sent again once")
	j, _ := sb.sim.Job("job-1")
	assert.Equal(t, "STOPPED", j.Status)
}

func TestIAMRenewalDoesNotLoop(t *testing.T) {
	var iamCalls, egCalls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "rid")
		if r.URL.Path == "/v3/auth/tokens" {
			iamCalls.Add(1)
			w.Header().Set("X-Subject-Token", "t")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"token":{"expires_at":"2099-01-01T00:00:00.000000Z"}}`))
			return
		}
		egCalls.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error_code":"EG.00014010","error_msg":"Incorrect token or token resolution failed"}`))
	}))
	defer srv.Close()
	c, err := eg.New(srv.URL, srv.URL, config(modes["password"]), eg.WithLogger(quiet))
	require.NoError(t, err)
	_, err = c.OperateStream(context.Background(), "es-1", eg.StreamStart)
	var e *eg.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "EG.00014010", e.Code)
	assert.Equal(t, int32(2), egCalls.Load())
	assert.Equal(t, int32(2), iamCalls.Load())
}

func TestIAMTokenIsFetchedOnceByConcurrentCalls(t *testing.T) {
	clk := newClock()
	sb := newSandbox(t, clk)
	c := client(t, sb, modes["password"], clk.Now)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := c.Stream(context.Background(), "es-1")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), sb.iam.Load())
}

func TestSignatureLockoutIsNeverTriggeredByTheClient(t *testing.T) {
	clk := newClock()
	sb := newSandbox(t, clk)
	bad := client(t, sb, eg.Auth{Mode: eg.AuthAKSK, AccessKey: "AKTEST", SecretKey: "wrong"}, clk.Now)
	for range 3 {
		_, err := bad.Streams(context.Background())
		require.Error(t, err)
	}
	assert.Equal(t, int32(3), sb.eg.Load(), "one request per failed call")
	good := client(t, sb, modes["aksk"], clk.Now)
	_, err := good.Streams(context.Background())
	assert.NoError(t, err, "three failures do not lock the key")
}

func TestMalformedIAMAnswers(t *testing.T) {
	cases := map[string]struct {
		token, body, want string
	}{
		"no token header": {"", `{"token":{"expires_at":"2099-01-01T00:00:00Z"}}`, "201 without X-Subject-Token"},
		"bad expires_at":  {"t", `{"token":{"expires_at":"tomorrow"}}`, `token.expires_at "tomorrow"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var egCalls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v3/auth/tokens" {
					egCalls.Add(1)
					return
				}
				if tc.token != "" {
					w.Header().Set("X-Subject-Token", tc.token)
				}
				w.WriteHeader(http.StatusCreated)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			c, err := eg.New(srv.URL, srv.URL, config(modes["password"]), eg.WithLogger(quiet))
			require.NoError(t, err)
			_, err = c.ActOnJob(context.Background(), "job-1", eg.JobAction{Operation: eg.JobStart})
			require.ErrorContains(t, err, tc.want)
			assert.Zero(t, egCalls.Load())
		})
	}
}
