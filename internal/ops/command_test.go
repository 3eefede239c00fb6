package ops

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in    string
		words []string
		args  map[string]string
	}{
		{"pipeline pause orders-etl", []string{"pipeline", "pause", "orders-etl"}, nil},
		{"/streamops pipeline pause orders-etl", []string{"pipeline", "pause", "orders-etl"}, nil},
		{"  job   switch orders-dr  now ", []string{"job", "switch", "orders-dr", "now"}, nil},
		{"job switch orders-dr sink=10.0.0.1:9092,10.0.0.2:9092 now", []string{"job", "switch", "orders-dr", "now"}, map[string]string{"sink": "10.0.0.1:9092,10.0.0.2:9092"}},
		{`job create nightly template=kafka description="nightly sync of orders"`, []string{"job", "create", "nightly"}, map[string]string{"template": "kafka", "description": "nightly sync of orders"}},
		{`job create n template=k description='it said "hi"'`, []string{"job", "create", "n"}, map[string]string{"template": "k", "description": `it said "hi"`}},
		{"job create n description=“curly quotes” template=k", []string{"job", "create", "n"}, map[string]string{"template": "k", "description": "curly quotes"}},
		{`job create n description=""`, []string{"job", "create", "n"}, map[string]string{"description": ""}},
		{`job create n description="a=b"`, []string{"job", "create", "n"}, map[string]string{"description": "a=b"}},
		{"help", []string{"help"}, nil},
		{"HELP", []string{"help"}, nil},
		{"Job Switch Orders-DR sink=10.0.0.1:9092", []string{"job", "Switch", "Orders-DR"}, map[string]string{"sink": "10.0.0.1:9092"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseCommand(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.words, c.Words)
			assert.Equal(t, tt.args, c.Args)
		})
	}
}

func TestCommandNamesFoldCase(t *testing.T) {
	assert.Equal(t, "pipeline list", commandName([]string{"Pipeline", "LIST"}))
}

func TestCountsReadNaturally(t *testing.T) {
	assert.Equal(t, "1 event stream", Count(1, "event stream"))
	assert.Equal(t, "2 jobs", Count(2, "job"))
	assert.Equal(t, "0 pipelines", Count(0, "pipeline"))
	assert.Equal(t, "1 job in project p:\n  j", Listing(1, "job", "project p", []string{"  j"}))
	assert.Equal(t, "No event streams in project p.", Listing(0, "event stream", "project p", nil))
}

func TestParseCommandRejectsMalformedInput(t *testing.T) {
	tests := map[string]struct {
		in   string
		says string
	}{
		"empty":            {"", "empty command"},
		"only spaces":      {"   \t ", "empty command"},
		"only the slash":   {"/streamops", "empty command"},
		"unclosed quote":   {`job create n description="oops`, "quote is not closed"},
		"quoted key":       {`job create n "description"=x`, "quote the value, not the key"},
		"only arguments":   {"a=b=c", "a command starts with what to do"},
		"duplicate key":    {"job switch j sink=1.1.1.1 sink=2.2.2.2", "sink= is given twice"},
		"bad key":          {"job switch j si-nk=1.1.1.1", "not a valid argument name"},
		"empty key":        {"job switch j =1.1.1.1", "not a valid argument name"},
		"control char":     {"pipeline pause a\x00b", "control characters"},
		"control in quote": {"job create n description=\"a\x07\"", "control characters"},
		"too long":         {"help " + strings.Repeat("x", MaxCommandLength), "the limit is"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseCommand(tt.in)
			var ie *InputError
			require.True(t, errors.As(err, &ie), "want an InputError, got %v", err)
			assert.Contains(t, ie.Msg, tt.says)
		})
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"pipeline pause orders-etl", `job create n template=k description="a b"`, "job switch j sink=1.2.3.4:9092 now",
		`"`, "=", "a=b=c", "“x”", "/x", "\x00", "a 'b c' d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCommand(s)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || ie.Msg == "" {
				t.Fatalf("error %v is not an InputError with a message", err)
			}
			return
		}
		if len(c.Words) == 0 {
			t.Fatalf("no error and no words for %q", s)
		}
		for _, w := range c.Words {
			if w == "" && !strings.ContainsAny(s, `"'“‘`) {
				t.Fatalf("empty word from unquoted input %q", s)
			}
			if !utf8.ValidString(w) && utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 word %q from valid input", w)
			}
		}
		for k := range c.Args {
			if !validKey(k) {
				t.Fatalf("invalid key %q accepted from %q", k, s)
			}
		}
	})
}

func TestQuoteWordReadsBackAsOneWord(t *testing.T) {
	for _, v := range []string{"plain", "", "a b", "a\u00a0b", "a\u2028b", "a\u3000b", "x=y", `a"b`, `a'b`, `a"b'c`, `a"b'c”`, "“q”", "‘q’", "q”"} {
		c, err := ParseCommand("show " + QuoteWord(v))
		require.NoError(t, err, v)
		assert.Equal(t, []string{"show", v}, c.Words, v)
		assert.Empty(t, c.Args, v)
	}
	for _, v := range []string{"a\u0085b", "a\vb", "a\x1b[2Jb", `a"b'c”’`} {
		_, err := ParseCommand("show " + QuoteWord(v))
		assert.Error(t, err, "%q must make the command refused", v)
	}
	assert.Equal(t, "plain", QuoteWord("plain"), "a plain word needs no quotes")
}

func TestNormalCommandKeepsWordsAndSpacing(t *testing.T) {
	got, err := NormalCommand("  job\n switch \"a\u00a0b\"   sink='1 2'  now ")
	require.NoError(t, err)
	assert.Equal(t, "job switch \"a\u00a0b\" sink=\"1 2\" now", got)
	_, err = NormalCommand(`job "x`)
	assert.ErrorContains(t, err, "quote is not closed")
}
