package eg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/streamops/streamops/internal/api"
)

// Client calls EventGrid for one project.
type Client struct {
	rc           *resty.Client
	base         string
	iamURL       string
	projectID    string
	region       string
	mode         string
	token        string
	iam          *tokenSource
	now          func() time.Time
	log          *slog.Logger
	throttleWait func(attempt int) time.Duration
}

// Option adjusts a Client.
type Option func(*Client)

// WithClock sets the clock used for signing dates and token expiry.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithLogger sets the logger; it never receives secrets or bodies.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithThrottleWait sets the pause before each resend, given the attempt
// that failed (1 for the first). The default is 2-5 s, as the gateway advises.
func WithThrottleWait(f func(attempt int) time.Duration) Option {
	return func(c *Client) { c.throttleWait = f }
}

// DefaultTimeout bounds each HTTP call when eg.timeout is left out.
const DefaultTimeout = 10 * time.Second

const (
	tokenHeader    = "X-Auth-Token"
	requestIDField = "X-Request-Id"
	// maxAttempts bounds the sends of one call when resending is allowed.
	maxAttempts = 3
)

// New returns a client of the service at baseURL (cfg.Endpoint, or a
// sandbox's URL) that gets IAM tokens from iamURL in auth mode password.
func New(baseURL, iamURL string, cfg Config, opts ...Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkURL(baseURL); err != nil {
		return nil, fmt.Errorf("eg: base URL: %w", err)
	}
	c := &Client{
		base:      strings.TrimRight(baseURL, "/"),
		projectID: cfg.ProjectID,
		region:    cfg.Region,
		mode:      cfg.Auth.Mode,
		now:       time.Now,
		log:       slog.New(slog.DiscardHandler),
		throttleWait: func(int) time.Duration {
			return 2*time.Second + rand.N(3*time.Second)
		},
	}
	for _, o := range opts {
		o(c)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	// No SetRetryCount: resty would resend POSTs after transport errors;
	// do decides every resend itself. No redirects: they would carry
	// X-Auth-Token to another host and resend a state-changing body.
	c.rc = resty.New().SetTimeout(timeout).SetLogger(restyLogger{c.log}).
		SetRedirectPolicy(resty.RedirectPolicyFunc(func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}))
	switch cfg.Auth.Mode {
	case AuthToken:
		c.token = cfg.Auth.Token
	case AuthPassword:
		if err := checkURL(iamURL); err != nil {
			return nil, fmt.Errorf("eg: IAM URL: %w", err)
		}
		c.iamURL = strings.TrimRight(iamURL, "/")
		c.iam = &tokenSource{client: c, auth: cfg.Auth}
	case AuthAKSK:
		s := signer{accessKey: cfg.Auth.AccessKey, secretKey: cfg.Auth.SecretKey}
		c.rc.SetPreRequestHook(func(_ *resty.Client, req *http.Request) error {
			return s.signRequest(req, c.now())
		})
	}
	return c, nil
}

// ProjectID is the project every call is made in.
func (c *Client) ProjectID() string { return c.projectID }

// Region is the configured region.
func (c *Client) Region() string { return c.region }

// Result is what a state-changing call returns.
type Result struct {
	ID        string // eventStreamingID or job_id from the 200 body
	RequestID string // the X-Request-Id header
}

// call describes one request.
type call struct {
	name   string // for logs and errors, e.g. "operate stream"
	method string
	url    string
	query  url.Values
	body   any
	// changes reports a state-changing call, which is resent only when it
	// certainly did not take effect (docs/providers.md §3).
	changes bool
	// bare marks the IAM token request, which carries no EG credentials.
	bare bool
	want int // the success status
}

// do sends cl, resending only as docs/providers.md §3 allows, and decodes a
// success body into out. A service error is an *Error carrying the request
// ID.
func (c *Client) do(ctx context.Context, cl call, out any) (*resty.Response, error) {
	body, err := encodeBody(cl)
	if err != nil {
		return nil, err
	}
	renewed := false
	for attempt := 1; ; attempt++ {
		resp, token, err := c.send(ctx, cl, body)
		if err != nil {
			if c.resendUnanswered(ctx, cl, attempt, err) {
				continue
			}
			return nil, unanswered(cl, err)
		}
		rid := resp.Header().Get(requestIDField)
		status := resp.StatusCode()
		c.log.Debug("eventgrid call", "call", cl.name, "status", status, "provider_request_id", rid, "attempt", attempt)
		if status == cl.want {
			return resp, c.decodeSuccess(cl, resp, rid, out)
		}
		if status == http.StatusUnauthorized && c.iam != nil && !cl.bare && !renewed {
			// The token expired early or was revoked: renew once, resend once.
			renewed = true
			c.iam.invalidate(token)
			c.log.Info("eventgrid token refused, renewing", "call", cl.name, "provider_request_id", rid)
			attempt--
			continue
		}
		e := decodeError(status, resp.Body(), rid)
		if c.resendAnswered(ctx, cl, attempt, e) {
			continue
		}
		return resp, refusal(cl, e)
	}
}

// encodeBody is cl's JSON body; nil when it has none.
func encodeBody(cl call) ([]byte, error) {
	if cl.body == nil {
		return nil, nil
	}
	body, err := json.Marshal(cl.body)
	if err != nil {
		return nil, fmt.Errorf("eventgrid %s: encoding the request: %w", cl.name, err)
	}
	return body, nil
}

// resendUnanswered reports whether a send that got no answer is sent again,
// after the pause: a read may be, a change only when it certainly did not
// leave; a token that could not be had sent nothing and is not retried here.
func (c *Client) resendUnanswered(ctx context.Context, cl call, attempt int, err error) bool {
	var tokenErr *tokenError
	if errors.As(err, &tokenErr) || ctx.Err() != nil || attempt >= maxAttempts {
		return false
	}
	return (!cl.changes || api.NotSent(err)) && c.pause(ctx, cl, attempt, "transport error", err)
}

// unanswered is the error of a send that got no answer: a change's outcome
// is uncertain then. A token error is returned as it is: nothing was sent to
// EventGrid.
func unanswered(cl call, err error) error {
	var tokenErr *tokenError
	if errors.As(err, &tokenErr) {
		return err
	}
	err = fmt.Errorf("eventgrid %s: %w", cl.name, err)
	if cl.changes {
		err = api.Uncertain(api.TransportReason("EventGrid", err), err)
	}
	return err
}

// resendAnswered reports whether a call EventGrid answered with an error is
// sent again, after the pause: a throttled one, or a read that met a
// server error.
func (c *Client) resendAnswered(ctx context.Context, cl call, attempt int, e *Error) bool {
	if attempt >= maxAttempts {
		return false
	}
	switch {
	case e.Throttled():
		return c.pause(ctx, cl, attempt, "throttled", e)
	case !cl.changes && e.HTTPStatus >= 500:
		return c.pause(ctx, cl, attempt, "server error", e)
	}
	return false
}

// refusal is the error of an answer that is not cl's success. Only a 4xx
// proves a change was refused; a 5xx may come from a gateway that lost the
// answer of a backend that acted.
func refusal(cl call, e *Error) error {
	if cl.changes && (e.HTTPStatus < 400 || e.HTTPStatus > 499) {
		return api.Uncertain(fmt.Sprintf("EventGrid answered HTTP %d", e.HTTPStatus), e)
	}
	return e
}

// decodeSuccess reads the body of an answer with the success status. A body
// that carries an error_code is no success, whatever the status; for a
// state-changing call it and an unreadable body leave the outcome unknown.
func (c *Client) decodeSuccess(cl call, resp *resty.Response, rid string, out any) error {
	body := resp.Body()
	var probe struct {
		Code json.RawMessage `json:"error_code"`
	}
	if json.Unmarshal(body, &probe) == nil && text(probe.Code) != "" {
		e := decodeError(resp.StatusCode(), body, rid)
		if cl.changes {
			return api.Uncertain(fmt.Sprintf("EventGrid answered HTTP %d with error %s", resp.StatusCode(), e.Code), e)
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		err = fmt.Errorf("eventgrid %s: decoding the response (request ID %s): %w", cl.name, rid, err)
		if cl.changes {
			return api.Uncertain(fmt.Sprintf("EventGrid answered HTTP %d but its answer could not be read", resp.StatusCode()), err)
		}
		return err
	}
	return nil
}

// pause waits before a resend; false means the context ended first.
func (c *Client) pause(ctx context.Context, cl call, attempt int, reason string, cause error) bool {
	d := c.throttleWait(attempt)
	c.log.Warn("eventgrid resend", "call", cl.name, "reason", reason, "error", cause.Error(), "attempt", attempt, "wait", d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// send makes one request and returns the token it carried, if any.
func (c *Client) send(ctx context.Context, cl call, body []byte) (*resty.Response, string, error) {
	r := c.rc.R().SetContext(ctx).SetHeader("Accept", "application/json")
	if cl.query != nil {
		r.SetQueryParamsFromValues(cl.query)
	}
	if body != nil {
		r.SetHeader("Content-Type", "application/json").SetBody(body)
	}
	var token string
	if !cl.bare {
		switch c.mode {
		case AuthToken:
			token = c.token
		case AuthPassword:
			var err error
			if token, err = c.iam.get(ctx); err != nil {
				return nil, "", err
			}
		case AuthAKSK:
			r.SetHeader(projectHeader, c.projectID)
		}
		if token != "" {
			r.SetHeader(tokenHeader, token)
		}
	}
	resp, err := r.Execute(cl.method, cl.url)
	return resp, token, err
}

// path is the URL of the project's API path with escaped segments.
func (c *Client) path(segments ...string) string { return c.base + c.apiPath(segments...) }

// apiPath is the project's API path with escaped segments, from the API's root.
func (c *Client) apiPath(segments ...string) string {
	var b strings.Builder
	b.WriteString("/v1/" + url.PathEscape(c.projectID))
	for _, s := range segments {
		b.WriteString("/" + url.PathEscape(s))
	}
	return b.String()
}

// changing is the state-changing call that sends ac.
func (c *Client) changing(name string, ac api.Call) call {
	return call{name: name, method: ac.Method, url: c.base + ac.Path, query: ac.Query, body: ac.Body, changes: true, want: http.StatusOK}
}

// checkID refuses an ID that cannot be a path segment, before anything is sent.
func checkID(kind, id string) error {
	if id == "" || len(id) > 128 || strings.ContainsAny(id, "/?#% \t\r\n") {
		return fmt.Errorf("eventgrid: invalid %s ID %q", kind, id)
	}
	return nil
}

// restyLogger sends resty's own messages to slog.
type restyLogger struct{ l *slog.Logger }

func (r restyLogger) Errorf(format string, v ...any) {
	r.l.Error("resty: " + fmt.Sprintf(format, v...))
}
func (r restyLogger) Warnf(format string, v ...any) { r.l.Warn("resty: " + fmt.Sprintf(format, v...)) }
func (r restyLogger) Debugf(format string, v ...any) {
	r.l.Debug("resty: " + fmt.Sprintf(format, v...))
}
