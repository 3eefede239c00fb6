package egsim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/streamops/streamops/internal/api/eg"
)

// The gateway's AK/SK rules (docs/providers.md §1d, §1e).
const (
	maxClockSkew   = 15 * time.Minute
	maxBadSigns    = 5
	lockDuration   = 5 * time.Minute
	sdkDateLayout  = "20060102T150405Z"
	signAlgorithm  = "SDK-HMAC-SHA256"
	iamTimeLayout  = "2006-01-02T15:04:05.000000Z"
	tokenByteCount = 48
)

// authenticate accepts an AK/SK signature, the static token or an IAM token.
func (s *Simulator) authenticate(r *http.Request, body []byte) *apiError {
	if authz := r.Header.Get("Authorization"); strings.HasPrefix(authz, signAlgorithm+" ") {
		return s.verifySignature(r, authz, body)
	}
	token := r.Header.Get("X-Auth-Token")
	if token == "" {
		return &apiError{http.StatusUnauthorized, codeBadToken, "no X-Auth-Token header and no SDK-HMAC-SHA256 signature"}
	}
	if s.creds.Token != "" && hmac.Equal([]byte(token), []byte(s.creds.Token)) {
		return nil
	}
	s.mu.Lock()
	expires, ok := s.tokens[token]
	s.mu.Unlock()
	switch {
	case !ok:
		return &apiError{http.StatusUnauthorized, codeBadToken, "unknown token"}
	case !s.now().Before(expires):
		return &apiError{http.StatusUnauthorized, codeBadToken, "the token expired at " + expires.UTC().Format(time.RFC3339)}
	}
	return nil
}

// verifySignature recomputes the signature over exactly the headers that
// SignedHeaders lists, requiring only x-sdk-date. It is written apart from
// the client's signer so that each checks the other.
func (s *Simulator) verifySignature(r *http.Request, authz string, body []byte) *apiError {
	reject := func(why string) *apiError {
		return &apiError{http.StatusUnauthorized, codeBadSignature, why}
	}
	params := map[string]string{}
	for _, part := range strings.Split(strings.TrimPrefix(authz, signAlgorithm+" "), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		params[k] = v
	}
	access, signed, sig := params["Access"], params["SignedHeaders"], params["Signature"]
	if access == "" || signed == "" || sig == "" {
		return reject("the Authorization header needs Access, SignedHeaders and Signature")
	}
	secret, ok := s.keys[access]
	if !ok {
		return reject("unknown access key")
	}
	now := s.now()
	s.mu.Lock()
	locked := now.Before(s.lockEnd)
	s.mu.Unlock()
	if locked {
		return reject("the access key is locked for 5 minutes after repeated signature failures")
	}
	names := strings.Split(signed, ";")
	if !slices.Contains(names, "x-sdk-date") {
		return reject("x-sdk-date must be signed")
	}
	date := r.Header.Get("X-Sdk-Date")
	at, err := time.Parse(sdkDateLayout, date)
	if err != nil {
		return reject("X-Sdk-Date must be UTC in the form 20060102T150405Z")
	}
	if d := now.Sub(at); d > maxClockSkew || d < -maxClockSkew {
		return reject("X-Sdk-Date is more than 15 minutes from the server's time")
	}
	if !hmac.Equal([]byte(sig), []byte(expectedSignature(r, names, body, date, secret))) {
		s.mu.Lock()
		s.badSigns++
		if s.badSigns > maxBadSigns {
			s.lockEnd, s.badSigns = now.Add(lockDuration), 0
		}
		s.mu.Unlock()
		return reject("verify aksk signature fail")
	}
	s.mu.Lock()
	s.badSigns = 0
	s.mu.Unlock()
	return nil
}

func expectedSignature(r *http.Request, names []string, body []byte, date, secret string) string {
	var c strings.Builder
	c.WriteString(r.Method + "\n")

	segments := strings.Split(r.URL.Path, "/")
	for i, seg := range segments {
		segments[i] = rfc3986(seg)
	}
	uri := strings.Join(segments, "/")
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	c.WriteString(uri + "\n")

	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pairs []string
	for _, k := range keys {
		vs := slices.Sorted(slices.Values(q[k]))
		for _, v := range vs {
			pairs = append(pairs, rfc3986(k)+"="+rfc3986(v))
		}
	}
	c.WriteString(strings.Join(pairs, "&") + "\n")

	for _, name := range names {
		vs := r.Header.Values(name)
		if name == "host" {
			vs = []string{r.Host}
		}
		for _, v := range slices.Sorted(slices.Values(vs)) {
			c.WriteString(name + ":" + strings.TrimSpace(v) + "\n")
		}
	}
	c.WriteString("\n" + strings.Join(names, ";") + "\n")
	bodySum := sha256.Sum256(body)
	c.WriteString(hex.EncodeToString(bodySum[:]))

	reqSum := sha256.Sum256([]byte(c.String()))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signAlgorithm + "\n" + date + "\n" + hex.EncodeToString(reqSum[:])))
	return hex.EncodeToString(mac.Sum(nil))
}

func rfc3986(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-_.~", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return b.String()
}

// issueToken is IAM's POST /v3/auth/tokens with the password method.
func (s *Simulator) issueToken(w http.ResponseWriter, r *http.Request) {
	var req eg.IAMRequest
	if !decode(w, r, &req) {
		return
	}
	id, u := req.Auth.Identity, req.Auth.Identity.Password.User
	switch {
	case !slices.Contains(id.Methods, "password"):
		iamError(w, http.StatusBadRequest, "Bad Request", "identity.methods must include password")
		return
	case s.creds.Password == "" || u.Domain.Name != s.creds.Domain || u.Name != s.creds.User ||
		!hmac.Equal([]byte(u.Password), []byte(s.creds.Password)):
		iamError(w, http.StatusUnauthorized, "Unauthorized", "The username or password is wrong.")
		return
	case req.Auth.Scope.Project.ID != s.creds.ProjectID:
		iamError(w, http.StatusUnauthorized, "Unauthorized", "The project in the scope is not valid for this user.")
		return
	}
	raw := make([]byte, tokenByteCount)
	_, _ = rand.Read(raw)
	token := "MII" + hex.EncodeToString(raw)
	now := s.now()
	expires := now.Add(s.tokenTTL)
	s.mu.Lock()
	s.tokens[token] = expires
	s.mu.Unlock()
	w.Header().Set("X-Subject-Token", token)
	// The fields the official SDK's TokenResult declares without omitempty
	// are all present; the IDs are derived from the names, as stable fakes.
	domain := map[string]string{"name": u.Domain.Name, "id": fakeID("domain", u.Domain.Name)}
	writeJSON(w, http.StatusCreated, map[string]any{"token": map[string]any{
		"catalog":    []any{},
		"domain":     domain,
		"expires_at": expires.UTC().Format(iamTimeLayout),
		"issued_at":  now.UTC().Format(iamTimeLayout),
		"methods":    []string{"password"},
		"project":    map[string]any{"id": s.creds.ProjectID, "name": "sandbox", "domain": domain},
		"roles":      []any{},
		"user": map[string]any{"name": u.Name, "id": fakeID("user", u.Name), "password_expires_at": "",
			"domain": domain},
	}})
}

// iamError is Keystone's error body, which IAM answers with.
func iamError(w http.ResponseWriter, status int, title, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": status, "title": title, "message": message}})
}

// fakeID is a stable 32-hex-digit ID for a named IAM object.
func fakeID(kind, name string) string {
	sum := sha256.Sum256([]byte(kind + "/" + name))
	return hex.EncodeToString(sum[:16])
}
