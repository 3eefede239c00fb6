package ops

import (
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
