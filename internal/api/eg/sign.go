package eg

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// AK/SK request signing as Huawei's API gateway defines it
// (docs/providers.md §1d).
const (
	signAlgorithm = "SDK-HMAC-SHA256"
	sdkDateHeader = "X-Sdk-Date"
	sdkDateLayout = "20060102T150405Z"
	projectHeader = "X-Project-Id"
)

type signer struct {
	accessKey, secretKey string
}

// sign adds X-Sdk-Date and Authorization to req, whose body is exactly body.
// It signs host and x-sdk-date, and content-type and x-project-id where sent.
func (s signer) sign(req *http.Request, body []byte, now time.Time) {
	date := now.UTC().Format(sdkDateLayout)
	req.Header.Set(sdkDateHeader, date)
	names := []string{"host", "x-sdk-date"}
	for _, h := range []string{"Content-Type", projectHeader} {
		if req.Header.Get(h) != "" {
			names = append(names, strings.ToLower(h))
		}
	}
	sort.Strings(names)
	sig := signature(s.secretKey, date, canonicalRequest(req, names, body))
	req.Header.Set("Authorization", fmt.Sprintf("%s Access=%s, SignedHeaders=%s, Signature=%s",
		signAlgorithm, s.accessKey, strings.Join(names, ";"), sig))
}

// signRequest is resty's pre-request hook body: it signs the bytes that
// will be sent, which it reads back from the request.
func (s signer) signRequest(req *http.Request, now time.Time) error {
	var body []byte
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return fmt.Errorf("eventgrid: reading the body to sign: %w", err)
		}
		body, err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("eventgrid: reading the body to sign: %w", err)
		}
	}
	s.sign(req, body, now)
	return nil
}

func canonicalRequest(req *http.Request, names []string, body []byte) string {
	var headers strings.Builder
	for _, name := range names {
		values := req.Header.Values(name)
		if name == "host" {
			values = []string{requestHost(req)}
		}
		values = append([]string(nil), values...)
		sort.Strings(values)
		for _, v := range values {
			headers.WriteString(name + ":" + strings.TrimSpace(v) + "\n")
		}
	}
	sum := sha256.Sum256(body)
	return strings.Join([]string{
		req.Method,
		canonicalURI(req.URL.Path),
		canonicalQuery(req.URL.Query()),
		headers.String(),
		strings.Join(names, ";"),
		hex.EncodeToString(sum[:]),
	}, "\n")
}

func requestHost(req *http.Request) string {
	if req.Host != "" {
		return req.Host
	}
	return req.URL.Host
}

func canonicalURI(path string) string {
	segments := strings.Split(path, "/")
	for i, s := range segments {
		segments[i] = escape(s)
	}
	uri := strings.Join(segments, "/")
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	return uri
}

func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pairs []string
	for _, k := range keys {
		values := append([]string(nil), q[k]...)
		sort.Strings(values)
		for _, v := range values {
			pairs = append(pairs, escape(k)+"="+escape(v))
		}
	}
	return strings.Join(pairs, "&")
}

// escape is RFC 3986 percent-encoding: everything but A-Za-z0-9-_.~.
func escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func signature(secretKey, date, canonical string) string {
	hashed := sha256.Sum256([]byte(canonical))
	toSign := signAlgorithm + "\n" + date + "\n" + hex.EncodeToString(hashed[:])
	mac := hmac.New(sha256.New, []byte(secretKey))
	mac.Write([]byte(toSign))
	return hex.EncodeToString(mac.Sum(nil))
}
