package ops

import (
	"net/url"
	"strings"
)

// Link is a web address a card offers as a button: the alert's runbook,
// the graph it came from, the Alertmanager page that silences it.
type Link struct {
	Label string
	URL   string
}

// maxLinkLen is the longest address a card links: Slack's limit for a
// button's url; a longer one is shown as text.
const maxLinkLen = 3000

// safeLink is raw as a link a person may click, and whether it is one: an
// absolute http(s) address with a host and no user name or password in it.
// Anything else (javascript:, a relative path, a bare word) is text only.
func safeLink(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	s := u.String()
	if len(s) > maxLinkLen {
		return "", false
	}
	return s, true
}

// cleanLink is raw as a stored alert keeps it: the link made canonical when
// it is safe, else plain text to show as it is.
func cleanLink(raw string) string {
	if s, ok := safeLink(raw); ok {
		return s
	}
	return PlainText(raw)
}
