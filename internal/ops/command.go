package ops

import (
	"fmt"
	"strings"
	"unicode"
)

// MaxCommandLength bounds what a person or an alert can send; a longer text is
// refused before it is split.
const MaxCommandLength = 2000

// Command is a parsed line of text: the bare words in the order typed (the
// operation's name, the target, flags like "now") and the key=value arguments.
type Command struct {
	Words []string          // e.g. ["job", "switch", "orders-dr", "now"]
	Args  map[string]string // e.g. {"sink": "10.0.0.1:9092"}
}

// InputError is bad input: its text is shown to the person who typed it.
// Err, when set, is what it is in values (ErrNotFound, a *Refusal), for
// callers that act on the kind rather than show the text.
type InputError struct {
	Msg string
	Err error
}

func (e *InputError) Error() string { return e.Msg }

func (e *InputError) Unwrap() error { return e.Err }

func inputErrorf(format string, a ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, a...)}
}

// InputErrorf is bad input a provider's operation refuses, worded for the
// person who typed it.
func InputErrorf(format string, a ...any) error { return inputErrorf(format, a...) }

// ParseCommand splits text into words, honouring double and single quotes
// (so description="nightly sync" is one argument). A leading "/streamops" is
// dropped so that the console accepts what people type in Slack.
func ParseCommand(text string) (Command, error) {
	if len(text) > MaxCommandLength {
		return Command{}, inputErrorf("that command is %d characters long; the limit is %d", len(text), MaxCommandLength)
	}
	words, err := splitWords(text)
	if err != nil {
		return Command{}, err
	}
	if len(words) > 0 && strings.HasPrefix(words[0].text, "/") {
		words = words[1:]
	}
	if len(words) == 0 {
		return Command{}, inputErrorf("empty command: type `help` to see what I can do")
	}
	var c Command
	for _, w := range words {
		key, value, isArg := strings.Cut(w.text, "=")
		switch {
		case w.quotedKey:
			return Command{}, inputErrorf("%q: quote the value, not the key (like description=\"two words\")", w.text)
		case isArg && w.hasEquals:
			if !validKey(key) {
				return Command{}, inputErrorf("%q is not a valid argument name: use letters, digits and _ (like sink=10.0.0.1:9092)", key)
			}
			if c.Args == nil {
				c.Args = map[string]string{}
			}
			if _, dup := c.Args[key]; dup {
				return Command{}, inputErrorf("%s= is given twice: give it once", key)
			}
			c.Args[key] = value
		default:
			c.Words = append(c.Words, w.text)
		}
	}
	if len(c.Words) == 0 {
		return Command{}, inputErrorf("a command starts with what to do, like `pipeline pause orders-etl`: type `help` for the list")
	}
	// The first word always names the command (help, confirm, pipeline...);
	// the words after it may be aliases and IDs, whose case is kept.
	c.Words[0] = strings.ToLower(c.Words[0])
	return c, nil
}

// commandName is the name the given leading words spell, in any case:
// `Pipeline List` is `pipeline list`.
func commandName(words []string) string {
	return strings.ToLower(strings.Join(words, " "))
}

type word struct {
	text      string
	hasEquals bool // an unquoted '=' made this a key=value word
	quotedKey bool // a quote opened before the '='
}

func splitWords(text string) ([]word, error) {
	var (
		words   []word
		cur     strings.Builder
		inWord  bool
		quote   rune
		w       word
		started bool // a quote was seen in this word
	)
	flush := func() {
		if inWord {
			w.text = cur.String()
			words = append(words, w)
		}
		cur.Reset()
		inWord, started, w = false, false, word{}
	}
	for _, r := range text {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
				continue
			}
			if unicode.IsControl(r) {
				return nil, inputErrorf("control characters are not allowed in a command")
			}
			cur.WriteRune(r)
		case closingQuote[r] != 0:
			quote = closingQuote[r]
			inWord, started = true, true
		case breaksWord(r):
			flush()
		case unicode.IsControl(r):
			return nil, inputErrorf("control characters are not allowed in a command")
		default:
			if r == '=' && !w.hasEquals {
				if started {
					w.quotedKey = true
				}
				w.hasEquals = true
			}
			inWord = true
			cur.WriteRune(r)
		}
	}
	if quote != 0 {
		return nil, inputErrorf("a quote is not closed: close it (like description=\"two words\")")
	}
	flush()
	return words, nil
}

// breaksWord reports whether r, outside quotes, ends a word: every Unicode
// space (U+00A0, U+2028, U+3000... as well as ASCII ones), as people paste
// them from anywhere.
func breaksWord(r rune) bool { return unicode.IsSpace(r) }

// standsBare reports whether r may be part of a word without quotes and
// stay what it is: not a space, a control character, a quote or '='.
// QuoteWord and the parser share this, so that a quoted value cannot
// become two words or change on the way.
func standsBare(r rune) bool {
	return !breaksWord(r) && !unicode.IsControl(r) && r != '=' && closingQuote[r] == 0 && !closesQuote[r]
}

// QuoteWord writes s so that ParseCommand reads it back as one word equal
// to s: bare when it can be, else in quotes. A value the parser would
// refuse anyway (a control character, or both kinds of straight quote)
// comes out so that the command is refused, never split.
func QuoteWord(s string) string {
	bare := s != ""
	for _, r := range s {
		bare = bare && standsBare(r)
	}
	if bare {
		return s
	}
	for _, open := range []rune{'"', '\'', '“', '‘'} {
		if !strings.ContainsRune(s, closingQuote[open]) {
			return string(open) + s + string(closingQuote[open])
		}
	}
	// Every kind of quote is in it: a NUL in front has it refused, as a
	// value with a control character is.
	return "\x00" + s
}

// NormalCommand is text as ParseCommand reads it, written out again with
// one space between words and quotes only where a word needs them; an
// error says why the parser would refuse it.
func NormalCommand(text string) (string, error) {
	if _, err := ParseCommand(text); err != nil {
		return "", err
	}
	words, err := splitWords(text)
	if err != nil {
		return "", err
	}
	out := make([]string, len(words))
	for i, w := range words {
		if key, value, ok := strings.Cut(w.text, "="); ok && w.hasEquals {
			out[i] = key + "=" + QuoteWord(value)
			continue
		}
		out[i] = QuoteWord(w.text)
	}
	return strings.Join(out, " "), nil
}

// closingQuote maps each opening quote to the one that closes it; Slack and
// phones turn straight quotes into curly ones.
var closingQuote = map[rune]rune{'"': '"', '\'': '\'', '“': '”', '‘': '’'}

// closesQuote holds every closing quote, which a bare word must not hold
// either: a value's own quote could otherwise end one the rule opened.
var closesQuote = map[rune]bool{'"': true, '\'': true, '”': true, '’': true}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
