package ops

import (
	"fmt"
	"strings"
	"unicode"
)

// PlainText makes text from outside (a provider's message, a typed
// description) safe to show: control characters, which could move a
// terminal's cursor or start a forged line, become spaces, and the
// invisible bidirectional controls, which could reorder what is read, are
// dropped.
func PlainText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.Is(unicode.Bidi_Control, r):
			return -1
		case unicode.IsControl(r):
			return ' '
		}
		return r
	}, s)
}

// PlainLines is PlainText of each line of s, keeping its line breaks.
func PlainLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = PlainText(l)
	}
	return strings.Join(lines, "\n")
}

// Listing heads the lines of a list with their count, as "1 job" or "2 jobs".
func Listing(n int, what, scope string, lines []string) string {
	if n == 0 {
		return fmt.Sprintf("No %ss in %s.", what, scope)
	}
	return fmt.Sprintf("%s in %s:\n%s", Count(n, what), scope, strings.Join(lines, "\n"))
}

// Count is n things in words: "1 pipeline", "2 pipelines".
func Count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// OrUnknown is s, or "(unknown)" for a value a provider left empty.
func OrUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
