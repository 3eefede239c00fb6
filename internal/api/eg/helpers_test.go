package eg

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const testProject = "0123456789abcdef0123456789abcdef"

func tokenConfig() Config {
	return Config{
		Endpoint:  "https://eg.cn-north-4.myhuaweicloud.com",
		Region:    "cn-north-4",
		ProjectID: testProject,
		Auth:      Auth{Mode: AuthToken, Token: "tok-123"},
		Timeout:   2 * time.Second,
	}
}

// recorded is what a test server saw of one request.
type recorded struct {
	method, path, query string
	header              http.Header
	body                []byte
}

// server answers with respond and records every request it saw.
type server struct {
	*httptest.Server
	count atomic.Int32
	reqs  chan recorded
}

func newServer(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int)) *server {
	t.Helper()
	s := &server{reqs: make(chan recorded, 100)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n := int(s.count.Add(1))
		s.reqs <- recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body}
		respond(w, r, n)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) last(t *testing.T) recorded {
	t.Helper()
	select {
	case r := <-s.reqs:
		return r
	default:
		t.Fatal("the server saw no request")
		return recorded{}
	}
}

// reply writes a JSON body with a request ID header.
func reply(w http.ResponseWriter, status int, requestID, body string) {
	if requestID != "" {
		w.Header().Set("X-Request-Id", requestID)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// waits records the resend pauses asked for, and pauses for none.
type waits struct{ attempts atomic.Int32 }

func (w *waits) option() Option {
	return WithThrottleWait(func(attempt int) time.Duration {
		w.attempts.Add(1)
		return time.Millisecond
	})
}

func newClient(t *testing.T, url string, cfg Config, opts ...Option) *Client {
	t.Helper()
	c, err := New(url, url, cfg, append([]Option{WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	require.NoError(t, err)
	return c
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// verify checks an AK/SK signature the plain way docs/providers.md §1d
// spells it out, apart from the client's signer, for requests whose path and
// query need no escaping.
func verify(t *testing.T, r recorded, host, secretKey string) bool {
	t.Helper()
	params := map[string]string{}
	for _, kv := range strings.Split(strings.TrimPrefix(r.header.Get("Authorization"), "SDK-HMAC-SHA256 "), ", ") {
		k, v, _ := strings.Cut(kv, "=")
		params[k] = v
	}
	var headers string
	for _, name := range strings.Split(params["SignedHeaders"], ";") {
		v := r.header.Get(name)
		if name == "host" {
			v = host
		}
		headers += name + ":" + v + "\n"
	}
	uri := r.path
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	query := strings.Split(r.query, "&")
	sort.Strings(query)
	bodyHash := sha256.Sum256(r.body)
	canonical := r.method + "\n" + uri + "\n" + strings.Join(query, "&") + "\n" + headers + "\n" +
		params["SignedHeaders"] + "\n" + hex.EncodeToString(bodyHash[:])
	canonicalHash := sha256.Sum256([]byte(canonical))
	mac := hmac.New(sha256.New, []byte(secretKey))
	mac.Write([]byte("SDK-HMAC-SHA256\n" + r.header.Get("X-Sdk-Date") + "\n" + hex.EncodeToString(canonicalHash[:])))
	return hex.EncodeToString(mac.Sum(nil)) == params["Signature"]
}

var testTime = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
