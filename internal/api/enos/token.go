package enos

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

const (
	pathTokenGet     = "/apim-token-service/v2.0/token/get"
	pathTokenRefresh = "/apim-token-service/v2.0/token/refresh"

	// renewMargin is how long before expiry a token is renewed; short-lived
	// tokens are renewed when a tenth of their life is left instead.
	renewMargin = 5 * time.Minute
	// refreshRetryGap spaces renewal attempts after a failed refresh while the
	// current token is still good.
	refreshRetryGap = 30 * time.Second
)

// tokenCache holds the access token. sem admits one goroutine at a time, so
// many concurrent calls cause one fetch, and waiters still honour their ctx.
type tokenCache struct {
	sem       chan struct{}
	token     string
	expiresAt time.Time
	renewAt   time.Time
}

func newTokenCache() tokenCache { return tokenCache{sem: make(chan struct{}, 1)} }

func (t *tokenCache) lock(ctx context.Context) error {
	select {
	case t.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t *tokenCache) unlock() { <-t.sem }

// drop forgets tok unless another call has already replaced it.
func (t *tokenCache) drop(ctx context.Context, tok string) {
	if t.lock(ctx) != nil {
		return
	}
	defer t.unlock()
	if t.token == tok {
		t.token = ""
	}
}

// token returns a usable access token. Before expiry it is renewed with
// /token/refresh, because /token/get hands back the same token while it is
// valid (docs/providers.md §2b).
func (c *Client) token(ctx context.Context) (string, error) {
	t := &c.tokens
	if err := t.lock(ctx); err != nil {
		return "", err
	}
	defer t.unlock()

	now := c.now()
	if t.token != "" && now.Before(t.renewAt) {
		return t.token, nil
	}
	if t.token != "" && now.Before(t.expiresAt) {
		tok, ttl, err := c.fetchToken(ctx, pathTokenRefresh, t.token)
		if err != nil {
			c.log.Warn("enos token refresh failed; keeping the current token", "expires_in", t.expiresAt.Sub(now), "err", err)
			t.renewAt = now.Add(refreshRetryGap)
			if t.renewAt.After(t.expiresAt) {
				t.renewAt = t.expiresAt
			}
			return t.token, nil
		}
		t.set(tok, now, ttl)
		return tok, nil
	}
	tok, ttl, err := c.fetchToken(ctx, pathTokenGet, "")
	if err != nil {
		return "", err
	}
	t.set(tok, now, ttl)
	return tok, nil
}

// set stores a token; its life counts from before the request that got it.
func (t *tokenCache) set(tok string, fetchedAt time.Time, ttl time.Duration) {
	t.token = tok
	t.expiresAt = fetchedAt.Add(ttl)
	t.renewAt = t.expiresAt.Add(-min(renewMargin, ttl/10))
}

type tokenRequest struct {
	AppKey      string `json:"appKey"`
	Encryption  string `json:"encryption"`
	Timestamp   int64  `json:"timestamp"`
	AccessToken string `json:"accessToken,omitempty"`
}

// fetchToken asks the token service for a token; refreshing passes the
// current one. A refusal is a *TokenError.
func (c *Client) fetchToken(ctx context.Context, path, current string) (string, time.Duration, error) {
	ts := c.now().UnixMilli()
	body := tokenRequest{
		AppKey:      c.appKey,
		Encryption:  encryption(c.appKey, ts, c.appSecret),
		Timestamp:   ts,
		AccessToken: current,
	}
	resp, err := c.http.R().SetContext(ctx).SetHeader("Content-Type", "application/json").SetBody(body).Post(path)
	if err != nil {
		return "", 0, fmt.Errorf("EnOS token service: %w", err)
	}
	env, err := decodeEnvelope(resp.StatusCode(), resp.Body(), "status")
	var perr *Error
	if errors.As(err, &perr) {
		return "", 0, &TokenError{HTTPStatus: perr.HTTPStatus, Status: perr.Code, Msg: perr.Msg, RequestID: perr.RequestID}
	}
	var data struct {
		AccessToken string          `json:"accessToken"`
		Expire      json.RawMessage `json:"expire"`
	}
	if err := json.Unmarshal(env.Data, &data); err != nil || data.AccessToken == "" {
		return "", 0, &TokenError{HTTPStatus: resp.StatusCode(), Msg: "no accessToken in the answer: " + snippet(resp.Body())}
	}
	expire, ok := parseCode(data.Expire)
	if !ok || expire <= 0 {
		return "", 0, &TokenError{HTTPStatus: resp.StatusCode(), Msg: "bad token expiry " + strconv.Quote(string(data.Expire))}
	}
	c.log.Info("enos access token issued", "via", path, "expire_s", expire)
	return data.AccessToken, time.Duration(expire) * time.Second, nil
}

// encryption proves the app secret to the token service
// (docs/providers.md §2b).
func encryption(appKey string, timestampMs int64, secret string) string {
	sum := sha256.Sum256([]byte(appKey + strconv.FormatInt(timestampMs, 10) + secret))
	return hex.EncodeToString(sum[:])
}
