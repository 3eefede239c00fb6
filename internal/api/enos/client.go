// Package enos is the client for EnOS Stream Processing behind the EnOS API
// gateway (docs/providers.md §2): token flow, request signing, the response
// envelope and the resend rule for state-changing calls
// (docs/providers.md §3).
package enos

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/streamops/streamops/internal/api"
)

const (
	// readRetries is how many times a read is repeated after a transport
	// error or a 5xx.
	readRetries      = 2
	defaultRetryWait = 200 * time.Millisecond
	maxBodyBytes     = 8 << 20
)

// Client calls one organization's pipelines through the API gateway. It is
// safe for concurrent use.
type Client struct {
	http      *resty.Client
	orgID     string
	appKey    string
	appSecret string
	now       func() time.Time
	log       *slog.Logger
	retryWait time.Duration
	tokens    tokenCache
}

// Option changes a Client made by New.
type Option func(*Client)

// WithClock replaces time.Now for timestamps and token expiry.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithTransport replaces the HTTP transport, for proxies and tests.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *Client) { c.http.SetTransport(rt) }
}

// New makes a client for the gateway at baseURL; cfg.Endpoint is ignored so
// that a sandbox URL can be substituted. cfg should have passed Validate.
func New(baseURL string, cfg Config, opts ...Option) *Client {
	c := &Client{
		http: resty.New().
			SetBaseURL(baseURL).
			SetTimeout(cfg.timeout()).
			SetHeader("User-Agent", "streamops").
			SetResponseBodyLimit(maxBodyBytes),
		orgID:     cfg.OrgID,
		appKey:    cfg.AppKey,
		appSecret: cfg.AppSecret,
		now:       time.Now,
		log:       slog.New(slog.DiscardHandler),
		retryWait: defaultRetryWait,
		tokens:    newTokenCache(),
	}
	for _, o := range opts {
		o(c)
	}
	c.log = c.log.With("provider", "enos")
	c.http.SetLogger(restyLogger{c.log})
	return c
}

// OrgID is the organization every call is made for.
func (c *Client) OrgID() string { return c.orgID }

// call is one gateway API request.
type call struct {
	api.Call
	id string // the pipeline ID, for the log
	// read marks a call that may be repeated after any transport error or
	// 5xx; others only when api.NotSent or after a token refusal.
	read bool
}

// do sends cl, signed, and returns its success envelope. It fetches a new
// token once if the gateway refuses the current one, and resends only as
// the call's kind allows (docs/providers.md §3).
func (c *Client) do(ctx context.Context, cl call) (envelope, error) {
	renewed := false
	for retries := 0; ; {
		tok, err := c.token(ctx)
		if err != nil {
			return envelope{}, err
		}
		env, err := c.send(ctx, cl, tok)
		if err == nil {
			return env, nil
		}
		var perr *Error
		if errors.As(err, &perr) && perr.tokenExpired() {
			if renewed {
				return envelope{}, err
			}
			renewed = true
			c.log.Info("enos access token refused; fetching a new one", "path", cl.Path, "http_status", perr.HTTPStatus, "code", perr.Code)
			c.tokens.drop(ctx, tok)
			continue
		}
		if retries >= readRetries || ctx.Err() != nil || !mayResend(cl, err) {
			return envelope{}, settle(cl, err)
		}
		retries++
		c.log.Warn("enos call failed; sending it again", "method", cl.Method, "path", cl.Path, "pipeline", cl.id, "retry", retries, "err", err)
		if err := c.wait(ctx, retries); err != nil {
			return envelope{}, err
		}
	}
}

// settle marks the failure of a state-changing call as an uncertain outcome
// unless it proves the call was refused: an envelope with a non-zero code
// (EnOS's way of refusing, on a 2xx) or an HTTP 4xx, or a failure to connect.
func settle(cl call, err error) error {
	if cl.read {
		return err
	}
	var perr *Error
	if !errors.As(err, &perr) {
		return api.Uncertain(api.TransportReason("EnOS", err), err)
	}
	switch {
	case perr.HTTPStatus >= 400 && perr.HTTPStatus <= 499:
		return err
	case perr.HTTPStatus >= 200 && perr.HTTPStatus <= 299 && perr.Code != 0:
		return err
	case perr.HTTPStatus >= 200 && perr.HTTPStatus <= 299:
		return api.Uncertain(fmt.Sprintf("EnOS answered HTTP %d but its answer could not be read", perr.HTTPStatus), err)
	}
	return api.Uncertain(fmt.Sprintf("EnOS answered HTTP %d", perr.HTTPStatus), err)
}

// mayResend decides whether a failed call can be sent again without
// risking a second effect.
func mayResend(cl call, err error) bool {
	if api.NotSent(err) {
		return true
	}
	if !cl.read {
		return false
	}
	var perr *Error
	if errors.As(err, &perr) {
		return perr.HTTPStatus >= 500
	}
	return true
}

func (c *Client) wait(ctx context.Context, retry int) error {
	t := time.NewTimer(c.retryWait << (retry - 1))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// send makes one signed HTTP exchange.
func (c *Client) send(ctx context.Context, cl call, tok string) (envelope, error) {
	ts := strconv.FormatInt(c.now().UnixMilli(), 10)
	req := c.http.R().
		SetContext(ctx).
		SetQueryParamsFromValues(cl.Query).
		SetHeader("apim-accesstoken", tok).
		SetHeader("apim-signature", sign(tok, cl.Query, nil, ts, c.appSecret)).
		SetHeader("apim-timestamp", ts)
	start := time.Now()
	resp, err := req.Execute(cl.Method, cl.Path)
	if err != nil {
		c.log.Warn("enos call failed", "method", cl.Method, "path", cl.Path, "pipeline", cl.id, "duration", time.Since(start), "err", err)
		return envelope{}, fmt.Errorf("EnOS: %w", err)
	}
	env, err := decodeEnvelope(resp.StatusCode(), resp.Body(), "code")
	c.log.Debug("enos call", "method", cl.Method, "path", cl.Path, "pipeline", cl.id,
		"http_status", resp.StatusCode(), "code", env.Code, "provider_request_id", env.RequestID, "duration", time.Since(start))
	return env, err
}

// sign is the gateway's request signature (docs/providers.md §2b): the
// query parameters sorted by name as name+value, then the raw body.
func sign(token string, query url.Values, body []byte, timestamp, secret string) string {
	h := sha256.New()
	h.Write([]byte(token))
	for _, k := range slices.Sorted(maps.Keys(query)) {
		for _, v := range query[k] {
			h.Write([]byte(k))
			h.Write([]byte(v))
		}
	}
	h.Write(body)
	h.Write([]byte(timestamp))
	h.Write([]byte(secret))
	return hex.EncodeToString(h.Sum(nil))
}

// restyLogger sends resty's own messages to slog.
type restyLogger struct{ l *slog.Logger }

func (r restyLogger) Errorf(format string, v ...any) { r.l.Error(fmt.Sprintf(format, v...)) }
func (r restyLogger) Warnf(format string, v ...any)  { r.l.Warn(fmt.Sprintf(format, v...)) }
func (r restyLogger) Debugf(format string, v ...any) { r.l.Debug(fmt.Sprintf(format, v...)) }
