package huaweisdk

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/impl"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	eg "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/eg/v1"
	egmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/eg/v1/model"
	iam "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	iammodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
)

// requestIDForm is request_uuid-timestamp-hostname (docs/providers.md §1).
var requestIDForm = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-\d+-\S+$`)

// httpConfig has the SDK fail fast instead of retrying a broken simulator.
func httpConfig() *config.HttpConfig { return config.DefaultHttpConfig().WithRetries(0) }

// akskClient is the SDK's EgClient signing with AK/SK, as its docs show.
func akskClient(t *testing.T, url, projectID, ak, sk string) *eg.EgClient {
	t.Helper()
	creds, err := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithProjectId(projectID).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := eg.EgClientBuilder().WithEndpoints([]string{url}).WithCredential(creds).WithHttpConfig(httpConfig()).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return eg.NewEgClient(hc)
}

// tokenCredential sends an IAM token as X-Auth-Token. The SDK ships no
// credential for a ready token, so this plugs one into its ICredential.
type tokenCredential struct{ projectID, token string }

func (c *tokenCredential) ProcessAuthParams(*impl.DefaultHttpClient, string) (auth.ICredential, error) {
	return c, nil
}

func (c *tokenCredential) ProcessAuthRequest(_ *impl.DefaultHttpClient, req *request.DefaultHttpRequest) (*request.DefaultHttpRequest, error) {
	// Build fills the path's {project_id}, as the SDK's own signer does.
	return req.Builder().AddAutoFilledPathParam("project_id", c.projectID).
		AddHeaderParam("X-Project-Id", c.projectID).
		AddHeaderParam("X-Auth-Token", c.token).
		Build(), nil
}

func tokenClient(t *testing.T, url, projectID, token string) *eg.EgClient {
	t.Helper()
	hc, err := eg.EgClientBuilder().WithCredentialsType("huaweisdk.tokenCredential").
		WithEndpoints([]string{url}).WithCredential(&tokenCredential{projectID, token}).
		WithHttpConfig(httpConfig()).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return eg.NewEgClient(hc)
}

// signIn asks IAM for a token with the SDK's own IamClient, as the example
// config's password mode does.
func signIn(t *testing.T, sim simulator, password string) (*iammodel.KeystoneCreateUserTokenByPasswordResponse, error) {
	t.Helper()
	creds, err := global.NewCredentialsBuilder().WithAk(sim.AccessKey).WithSk(sim.SecretKey).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := iam.IamClientBuilder().WithEndpoints([]string{sim.url}).WithCredential(creds).WithHttpConfig(httpConfig()).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return iam.NewIamClient(hc).KeystoneCreateUserTokenByPassword(&iammodel.KeystoneCreateUserTokenByPasswordRequest{
		Body: &iammodel.KeystoneCreateUserTokenByPasswordRequestBody{Auth: &iammodel.PwdAuth{
			Identity: &iammodel.PwdIdentity{
				Methods: []iammodel.PwdIdentityMethods{iammodel.GetPwdIdentityMethodsEnum().PASSWORD},
				Password: &iammodel.PwdPassword{User: &iammodel.PwdPasswordUser{
					Domain: &iammodel.PwdPasswordUserDomain{Name: sim.Domain}, Name: sim.User, Password: password,
				}},
			},
			Scope: &iammodel.AuthScope{Project: &iammodel.AuthScopeProject{Id: &sim.ProjectID}},
		}},
	})
}

// iamToken signs in and checks the answer against the SDK's TokenResult.
func iamToken(t *testing.T, sim simulator) string {
	t.Helper()
	resp, err := signIn(t, sim, sim.Password)
	if err != nil {
		t.Fatalf("IAM sign-in: %v", err)
	}
	tok := resp.Token
	switch {
	case resp.HttpStatusCode != 201:
		t.Errorf("IAM answered HTTP %d, want 201", resp.HttpStatusCode)
	case resp.XSubjectToken == nil || *resp.XSubjectToken == "":
		t.Fatal("no X-Subject-Token")
	case tok == nil || tok.ExpiresAt == "" || tok.IssuedAt == "" || len(tok.Methods) == 0:
		t.Fatalf("token without expires_at, issued_at or methods: %v", tok)
	case tok.Catalog == nil || tok.Roles == nil:
		t.Errorf("catalog and roles are required in TokenResult: %v", tok)
	case tok.User == nil || tok.User.Name != sim.User || tok.User.Id == "" || tok.User.Domain == nil || tok.User.Domain.Name != sim.Domain:
		t.Errorf("token user %v, want %s in %s with IDs", tok.User, sim.User, sim.Domain)
	case tok.Project == nil || tok.Project.Id != sim.ProjectID || tok.Project.Domain == nil:
		t.Errorf("token project %v, want %s with its domain", tok.Project, sim.ProjectID)
	}
	return *resp.XSubjectToken
}

func TestTheSDKDrivesTheSimulator(t *testing.T) {
	sim := startSimulator(t)
	clients := map[string]func() *eg.EgClient{
		"AK/SK": func() *eg.EgClient { return akskClient(t, sim.url, sim.ProjectID, sim.AccessKey, sim.SecretKey) },
		"token": func() *eg.EgClient { return tokenClient(t, sim.url, sim.ProjectID, iamToken(t, sim)) },
	}
	for _, name := range []string{"AK/SK", "token"} {
		t.Run(name, func(t *testing.T) {
			c := clients[name]()
			list, err := c.ListEventStreaming(&egmodel.ListEventStreamingRequest{})
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			if list.Total == nil || *list.Total != 1 || list.Items == nil || len(*list.Items) != 1 {
				t.Fatalf("list: %v, want the example's one stream", list)
			}
			item := (*list.Items)[0]
			if item.Id == nil || *item.Id != sim.StreamID || item.Name != "clickstream" || item.Status == nil {
				t.Errorf("list item %v: want id %s, name clickstream and a status", item, sim.StreamID)
			}
			if item.Source == nil || item.Source.Name == nil || item.Sink == nil || item.Sink.Name == nil {
				t.Errorf("list item %v: want source and sink objects naming their kind", item)
			}
			checkRequestID(t, "list", list.XRequestId)

			for _, step := range []struct {
				op   egmodel.EventStreamingOperateReqOperation
				want string
			}{
				{egmodel.GetEventStreamingOperateReqOperationEnum().PAUSE, "STOPPED"},
				{egmodel.GetEventStreamingOperateReqOperationEnum().START, "RUNNING"},
			} {
				op := step.op
				resp, err := c.ResumeEventStreaming(&egmodel.ResumeEventStreamingRequest{
					EventstreamingId: sim.StreamID, Body: &egmodel.EventStreamingOperateReq{Operation: &op},
				})
				if err != nil {
					t.Fatalf("operate %s: %v", op.Value(), err)
				}
				if resp.EventStreamingID == nil || *resp.EventStreamingID != sim.StreamID {
					t.Errorf("operate %s: eventStreamingID %v, want %s", op.Value(), resp.EventStreamingID, sim.StreamID)
				}
				checkRequestID(t, "operate", resp.XRequestId)

				show, err := c.ShowEventStreaming(&egmodel.ShowEventStreamingRequest{EventstreamingId: sim.StreamID})
				if err != nil {
					t.Fatalf("show: %v", err)
				}
				if show.Id == nil || *show.Id != sim.StreamID {
					t.Errorf("show: id %v, want %s", show.Id, sim.StreamID)
				}
				if show.Status == nil || show.Status.Value() != step.want {
					t.Errorf("show after %s: status %v, want %s", op.Value(), show.Status, step.want)
				}
				if show.Source == nil || show.Sink == nil || show.CreatedTime == nil || show.UpdatedTime == nil {
					t.Errorf("show: %v lacks source, sink or times", show)
				}
				checkRequestID(t, "show", show.XRequestId)
			}
		})
	}
}

func checkRequestID(t *testing.T, call string, rid *string) {
	t.Helper()
	if rid == nil || !requestIDForm.MatchString(*rid) {
		t.Errorf("%s: X-Request-Id %v is not request_uuid-timestamp-hostname", call, rid)
	}
}

// The simulator's errors as the SDK parses them: its code and the request ID.
func TestTheSDKParsesTheSimulatorsErrors(t *testing.T) {
	sim := startSimulator(t)
	cases := []struct {
		name   string
		client *eg.EgClient
		stream string
		status int
		code   string
	}{
		{"unknown stream", akskClient(t, sim.url, sim.ProjectID, sim.AccessKey, sim.SecretKey), "no-such-stream", 404, "EG.00014040"},
		{"wrong project", akskClient(t, sim.url, "ffffffffffffffffffffffffffffffff", sim.AccessKey, sim.SecretKey), sim.StreamID, 403, "EG.00014030"},
		// One bad signature only: more than five in a row lock the key.
		{"bad signature", akskClient(t, sim.url, sim.ProjectID, sim.AccessKey, "not-the-secret-key"), sim.StreamID, 401, "APIGW.0301"},
		{"unknown token", tokenClient(t, sim.url, sim.ProjectID, "MIInot-a-token"), sim.StreamID, 401, "EG.00014010"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.client.ShowEventStreaming(&egmodel.ShowEventStreamingRequest{EventstreamingId: tc.stream})
			var se *sdkerr.ServiceResponseError
			if !errors.As(err, &se) {
				t.Fatalf("got %T %v, want the SDK's ServiceResponseError", err, err)
			}
			if se.StatusCode != tc.status || se.ErrorCode != tc.code || se.ErrorMessage == "" {
				t.Errorf("got HTTP %d %q %q, want HTTP %d %s with a message", se.StatusCode, se.ErrorCode, se.ErrorMessage, tc.status, tc.code)
			}
			checkRequestID(t, "error", &se.RequestId)
		})
	}
}

// IAM answers a wrong password as Keystone does, {"error": {"code": 401,
// "title", "message"}}: the SDK finds no string code there and keeps the
// whole body as the message, with the status and the request ID.
func TestTheSDKSeesAnIAMRefusal(t *testing.T) {
	sim := startSimulator(t)
	_, err := signIn(t, sim, "wrong")
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) {
		t.Fatalf("got %T %v, want the SDK's ServiceResponseError", err, err)
	}
	if se.StatusCode != 401 || !strings.Contains(se.ErrorMessage, "The username or password is wrong.") {
		t.Errorf("got HTTP %d %q, want 401 saying the username or password is wrong", se.StatusCode, se.ErrorMessage)
	}
	checkRequestID(t, "IAM error", &se.RequestId)
}
