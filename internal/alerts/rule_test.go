package alerts

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/streamops/streamops/internal/ops"
)

var channels = map[string]string{"incidents": "C0INCIDENT"}

func dr() Rule {
	return Rule{
		Name: "kafka-dr", Match: map[string]string{"alertname": "KafkaLag"},
		Matchers: []string{`severity=~"critical|page"`, `env!="dev"`},
		Command:  "job switch {{ .Labels.job_id }} sink={{ .Labels.dr_address }} now", Channel: "incidents",
	}
}

func TestCompileReportsEachProblemWithItsKey(t *testing.T) {
	bad := []Rule{
		{Name: "a", Matchers: []string{`severity=~"(critical"`}, Command: "job show x", Channel: "incidents"},
		{Name: "b", Match: map[string]string{"x": "y"}, Command: "job show {{ .Labels.x ", Channel: "incidents"},
		{Name: "c", Match: map[string]string{"x": "y"}, Command: "job show x", Channel: "war-room"},
		{Name: "d", Match: map[string]string{"x": "y"}, Command: "job show {{ .Lables.x }}", Channel: "incidents"},
		{Name: "a", Command: "job show x", Channel: "incidents"},
	}
	_, err := Compile(bad, channels)
	if err == nil {
		t.Fatal("bad rules compiled")
	}
	for _, want := range []string{
		"rules[0] (a).matchers[0]: ",
		"rules[1] (b).command: not a valid template",
		`rules[2] (c).channel: "war-room" is not a key of alerts.channels (it has incidents)`,
		"rules[3] (d).command: the template cannot work on an alert",
		`rules[4] (a).name: "a" is used by an earlier rule`,
		"rules[4] (a).match, matchers: give at least one",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestTemplatesThatCouldRunLongAreRefused(t *testing.T) {
	for _, text := range []string{
		"{{ range 100000000000 }}{{ end }}",
		"{{ $n := 100000000000 }}{{ range $n }}{{ end }}",
		"{{ range .Labels }}{{ range $.Labels }}{{ range $.Annotations }}{{ end }}{{ end }}{{ end }}",
		`{{ define "x" }}{{ range $.Labels }}{{ template "x" $ }}{{ end }}{{ end }}{{ template "x" . }}`,
		`{{ block "x" . }}y{{ end }}`,
		"{{ range .StartsAt.Unix }}{{ end }}",
		"{{ range $.StartsAt.UnixNano }}{{ end }}",
		`{{ printf "%099999999d" 1 }}`,
		`{{ printf "%*d" 999999999 1 }}`,
	} {
		// After a command's words, so that only the loop can be what is wrong.
		_, err := Compile([]Rule{{Name: "slow", Match: map[string]string{"a": "b"}, Command: "pipeline pause x " + text, Channel: "incidents"}}, channels)
		if err == nil || !strings.Contains(err.Error(), "template") && !strings.Contains(err.Error(), "{{ define }}") {
			t.Errorf("%s: %v", text, err)
		}
	}
	_, err := Compile([]Rule{{Name: "ok", Match: map[string]string{"a": "b"}, Channel: "incidents",
		Command: "pipeline pause {{ range $k, $v := .Labels }}{{ if eq $k \"pipeline\" }}{{ $v }}{{ end }}{{ end }}"}}, channels)
	if err != nil {
		t.Fatal(err)
	}
}

func TestRuleMatchesAndRenders(t *testing.T) {
	rules, err := Compile([]Rule{dr()}, channels)
	if err != nil {
		t.Fatal(err)
	}
	r := rules[0]
	a := Alert{Labels: map[string]string{"alertname": "KafkaLag", "severity": "page", "env": "prod", "job_id": "orders-dr", "dr_address": "10.0.2.9:9092"}}
	if !r.matches(a) {
		t.Fatal("should match")
	}
	for _, miss := range []map[string]string{
		{"alertname": "KafkaLag", "severity": "warning", "env": "prod"},
		{"alertname": "KafkaLag", "severity": "critical", "env": "dev"},
		{"alertname": "Other", "severity": "critical"},
	} {
		if r.matches(Alert{Labels: miss}) {
			t.Errorf("%v should not match", miss)
		}
	}
	cmd, err := r.render(a)
	if err != nil || cmd != "job switch orders-dr sink=10.0.2.9:9092 now" {
		t.Fatalf("rendered %q, %v", cmd, err)
	}
	if got := r.matched(a); len(got) != 3 || got["env"] != "prod" {
		t.Fatalf("matched %v", got)
	}
	delete(a.Labels, "dr_address")
	if _, err := r.render(a); err == nil || !strings.Contains(err.Error(), `no label or annotation "dr_address"`) {
		t.Fatalf("a missing label: %v", err)
	}
}

func TestValuesStayOneWord(t *testing.T) {
	rules, err := Compile([]Rule{dr()}, channels)
	if err != nil {
		t.Fatal(err)
	}
	a := Alert{Labels: map[string]string{"job_id": "orders-dr now", "dr_address": "x=1"}}
	cmd, err := rules[0].render(a)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ops.ParseCommand(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Words) != 4 || c.Words[2] != "orders-dr now" || c.Args["sink"] != "x=1" || len(c.Args) != 1 {
		t.Fatalf("an alert's values changed the command's shape: %q -> %+v", cmd, c)
	}
	a.Labels["job_id"] = `a"b'c”’`
	if cmd, err := rules[0].render(a); err == nil {
		t.Fatalf("a value with every kind of quote must make the command refused, got %q", cmd)
	}
}

// wordsOf checks that the dr() rule, given job_id and dr_address, made a
// command whose words are the template's with each value one whole word, or
// was refused with a reason.
func wordsOf(t *testing.T, r *Compiled, jobID, sink string) (refused error) {
	t.Helper()
	cmd, err := r.render(Alert{Labels: map[string]string{"job_id": jobID, "dr_address": sink}})
	if err == nil {
		var c ops.Command
		c, err = ops.ParseCommand(cmd)
		if err == nil {
			want := []string{"job", "switch", jobID, "now"}
			if !slices.Equal(c.Words, want) || len(c.Args) != 1 || c.Args["sink"] != sink {
				t.Fatalf("job_id %q, dr_address %q made %q: words %q, args %q; want %q and sink=%q", jobID, sink, cmd, c.Words, c.Args, want, sink)
			}
			return nil
		}
	}
	if err.Error() == "" {
		t.Fatalf("refused without a reason: job_id %q, dr_address %q", jobID, sink)
	}
	return err
}

func TestUnicodeSpacesInValuesStayInsideTheWord(t *testing.T) {
	rules, err := Compile([]Rule{dr()}, channels)
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range []rune{'\u00a0', '\u2028', '\u2029', '\u0085', '\u000b', '\u3000', '\u1680', '\u2007', '\u202f', '\u205f', '\t', '\n', '\r', '\f', ' '} {
		t.Run(fmt.Sprintf("U+%04X", sp), func(t *testing.T) {
			sink := "10.0.0.5:9092" + string(sp) + "now"
			jobID := "orders-dr" + string(sp) + "now"
			for _, vals := range [][2]string{{"orders-dr", sink}, {jobID, "10.0.0.5:9092"}} {
				err := wordsOf(t, rules[0], vals[0], vals[1])
				// A space that is also a control character is refused;
				// any other stays in the word, quoted.
				if unicode.IsControl(sp) != (err != nil) {
					t.Errorf("%q, %q: refused = %v", vals[0], vals[1], err)
				}
			}
		})
	}
}

func TestValuesThatLookLikeSyntaxStayOneWord(t *testing.T) {
	rules, err := Compile([]Rule{dr()}, channels)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"x=1", "", `"`, "'", "“now”", "‘a", "a”", "sink=now", `a"b`, "\x1b[2J", "a\u202eb", "/streamops"} {
		if err := wordsOf(t, rules[0], "orders-dr", v); err != nil && !strings.ContainsAny(v, "\x1b") {
			t.Errorf("%q refused: %v", v, err)
		}
	}
	if err := wordsOf(t, rules[0], "orders-dr", "\x1b[2J"); err == nil || !strings.Contains(err.Error(), "control characters") {
		t.Errorf("an escape sequence was not refused: %v", err)
	}
	if err := wordsOf(t, rules[0], `a"b'c now`, `0'"`); err != nil {
		t.Errorf("both straight quotes: %v", err)
	}
	if err := wordsOf(t, rules[0], `a"b'c”’ now`, "x"); err == nil {
		t.Errorf("every kind of quote: accepted")
	}
}

// FuzzLabelValuesNeverChangeTheCommand: whatever two label values hold,
// the command has the template's words with each value as one whole word,
// or it is refused with a reason.
func FuzzLabelValuesNeverChangeTheCommand(f *testing.F) {
	for _, v := range []string{"10.0.0.5:9092\u00a0now", "a\u2028b", "a\u0085b", "a\vb", "a\u3000b", `a"b`, "x=y", "“q”", ""} {
		f.Add("orders-dr", v)
		f.Add(v, "10.0.0.5:9092")
	}
	rules, err := Compile([]Rule{dr()}, channels)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, jobID, sink string) {
		if !utf8.ValidString(jobID) || !utf8.ValidString(sink) {
			return // Decode gives valid strings only: JSON replaces bad bytes
		}
		wordsOf(t, rules[0], jobID, sink)
	})
}

func FuzzRuleTemplate(f *testing.F) {
	f.Add("job switch {{ .Labels.job_id }} sink={{ .Labels.dr_address }} now", "orders-dr", "10.0.0.1:9092")
	f.Add("{{ range .Labels }}{{ range $.Labels }}{{ . }}{{ end }}{{ end }}", "a b", "\"")
	f.Add("pipeline pause {{ index .Annotations \"x\" }}", "", "")
	f.Fuzz(func(t *testing.T, text, v1, v2 string) {
		rules, err := Compile([]Rule{{Name: "f", Match: map[string]string{"alertname": "A"}, Command: text, Channel: "incidents"}}, channels)
		if err != nil {
			return
		}
		a := Alert{Labels: map[string]string{"alertname": "A", "job_id": v1, "dr_address": v2}, Annotations: map[string]string{"x": v1}}
		cmd, err := rules[0].render(a)
		if err != nil {
			return
		}
		if len(cmd) > maxCommand || strings.TrimSpace(cmd) != cmd || cmd == "" {
			t.Fatalf("rendered %q", cmd)
		}
		ops.ParseCommand(cmd) // must not panic whatever came out
	})
}
