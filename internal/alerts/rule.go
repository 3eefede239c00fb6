package alerts

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/common/model"

	"github.com/streamops/streamops/internal/operations"
	"github.com/streamops/streamops/internal/ops"
)

// Rule says which alerts propose which command, and where.
type Rule struct {
	Name string `yaml:"name"`
	// Match: every label must have exactly this value.
	Match map[string]string `yaml:"match"`
	// Matchers in Alertmanager's syntax: severity=~"critical|page", env!="dev".
	Matchers []string `yaml:"matchers"`
	// Command is a Go template over the alert, like
	// `job switch {{ .Labels.job_id }} sink={{ .Labels.dr_address }} now`.
	Command string `yaml:"command"`
	// Channel is a key of alerts.channels: where the card is posted.
	Channel string `yaml:"channel"`
	// Cooldown is how long after a request of this rule for the same
	// target ends that the same alert proposes nothing new.
	Cooldown time.Duration `yaml:"cooldown"`
}

// Compiled is a rule ready to match and render.
type Compiled struct {
	Rule
	channelID string
	matchers  labels.Matchers
	names     []string // the label names the rule looks at, for the card
	tmpl      *template.Template
}

// Compile checks every rule against the channels they may name (key ->
// channel ID) and returns every problem at once, each with its key path.
func Compile(rules []Rule, channels map[string]string) ([]*Compiled, error) {
	var errs []error
	var out []*Compiled
	seen := map[string]bool{}
	for i, r := range rules {
		at := fmt.Sprintf("rules[%d]", i)
		if r.Name != "" {
			at = fmt.Sprintf("rules[%d] (%s)", i, r.Name)
		}
		bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(at+"."+format, a...)) }
		c := &Compiled{Rule: r}
		switch {
		case strings.TrimSpace(r.Name) == "":
			bad("name: required: it names the rule on cards and in the log")
		case seen[r.Name]:
			bad("name: %q is used by an earlier rule: give each rule its own name", r.Name)
		}
		seen[r.Name] = true
		for _, k := range slices.Sorted(maps.Keys(r.Match)) {
			if !model.LabelName(k).IsValid() {
				bad("match.%s: not a label name", k)
				continue
			}
			// An equality matcher has no regular expression that could fail.
			c.matchers = append(c.matchers, &labels.Matcher{Type: labels.MatchEqual, Name: k, Value: r.Match[k]})
		}
		for j, s := range r.Matchers {
			ms, err := labels.ParseMatchers(s)
			if err != nil || len(ms) == 0 {
				why := "it matches nothing"
				if err != nil {
					why = err.Error()
				}
				bad("matchers[%d]: %q is not an Alertmanager matcher (%s); write it like severity=~\"critical|page\" or env!=\"dev\"", j, s, why)
				continue
			}
			c.matchers = append(c.matchers, ms...)
		}
		if len(c.matchers) == 0 {
			bad("match, matchers: give at least one, or the rule would take every alert")
		}
		for _, m := range c.matchers {
			if !slices.Contains(c.names, m.Name) {
				c.names = append(c.names, m.Name)
			}
		}
		t, err := parseCommand(r.Name, r.Command)
		if err != nil {
			bad("command: %v", err)
		}
		c.tmpl = t
		switch id, ok := channels[r.Channel]; {
		case r.Channel == "":
			bad("channel: required: a key of alerts.channels, where the rule's cards go")
		case !ok:
			bad("channel: %q is not a key of alerts.channels (%s)", r.Channel, keyList(channels))
		default:
			c.channelID = id
		}
		if r.Cooldown < 0 {
			bad("cooldown: %s is negative: give a duration like 10m, or leave it out for none", r.Cooldown)
		}
		out = append(out, c)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func keyList(m map[string]string) string {
	if len(m) == 0 {
		return "it has none"
	}
	return "it has " + strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}

// parseCommand parses a rule's command template and tries it on an alert
// with no labels, which finds misspelt fields (.Lables) and commands
// (pipline pause) before any alert does.
func parseCommand(name, text string) (*template.Template, error) {
	if strings.TrimSpace(text) == "" {
		return nil, errors.New("required: the command to propose, like `job switch {{ .Labels.job_id }} now`")
	}
	t, err := template.New(name).Option("missingkey=error").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("not a valid template: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	if len(t.Templates()) > 1 {
		return nil, errors.New("{{ define }} and {{ block }} are not supported here: write the command out")
	}
	if err := checkLoops(t.Root, 0); err != nil {
		return nil, fmt.Errorf("the template could run for too long: %w", err)
	}
	var out limited
	trial, err := template.New(name).Option("missingkey=zero").Funcs(funcs).Parse(text)
	if err == nil {
		err = trial.Execute(&out, dataOf(Alert{}))
	}
	if err != nil {
		return nil, fmt.Errorf("the template cannot work on an alert: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	// Every label is "" in the trial: the command's own words are judged.
	if err := ops.KnownCommand(out.b.String(), operations.All()); err != nil {
		return nil, fmt.Errorf("not a command this bot has: %w", err)
	}
	return t, nil
}

// funcs replaces the builtin printf, whose width and precision could make
// it build a string of any size before the length limit sees it.
var funcs = template.FuncMap{"printf": printf}

var bigNumber = regexp.MustCompile(`[0-9]{4}`)

func printf(format string, a ...any) (string, error) {
	if bigNumber.MatchString(format) || strings.Contains(format, "*") {
		return "", errors.New("printf: a width or precision over 999, or one from an argument (*)")
	}
	return fmt.Sprintf(format, a...), nil
}

// maxRangeDepth bounds nested range loops: with at most maxLabels labels,
// two levels stay cheap whatever an alert carries.
const maxRangeDepth = 2

// checkLoops refuses loops whose cost an alert or a number sets without
// bound: a range over a number, or ranges nested deeper than maxRangeDepth.
func checkLoops(n parse.Node, depth int) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := checkLoops(c, depth); err != nil {
				return err
			}
		}
	case *parse.RangeNode:
		if depth+1 > maxRangeDepth {
			return fmt.Errorf("ranges nested more than %d deep", maxRangeDepth)
		}
		if !overAlertField(n.Pipe) {
			return fmt.Errorf("range over %s: a range goes over a field of the alert, like .Labels or .Annotations", n.Pipe)
		}
		if err := checkLoops(n.List, depth+1); err != nil {
			return err
		}
		return checkLoops(n.ElseList, depth)
	case *parse.TemplateNode:
		return errors.New("{{ template }} is not supported here: write the command out")
	case *parse.IfNode:
		if err := checkLoops(n.List, depth); err != nil {
			return err
		}
		return checkLoops(n.ElseList, depth)
	case *parse.WithNode:
		if err := checkLoops(n.List, depth); err != nil {
			return err
		}
		return checkLoops(n.ElseList, depth)
	}
	return nil
}

// overAlertField reports whether a range goes over .Labels or
// .Annotations (or $.Labels...), whose size Decode bounds by maxLabels.
func overAlertField(p *parse.PipeNode) bool {
	if len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	var ident []string
	switch a := p.Cmds[0].Args[0].(type) {
	case *parse.FieldNode:
		ident = a.Ident
	case *parse.VariableNode:
		if len(a.Ident) < 2 || a.Ident[0] != "$" {
			return false
		}
		ident = a.Ident[1:]
	}
	// Not any field: .StartsAt.Unix is a number of seconds to loop over.
	return len(ident) == 1 && (ident[0] == "Labels" || ident[0] == "Annotations")
}

// matches reports whether a satisfies every matcher of the rule.
func (c *Compiled) matches(a Alert) bool {
	for _, m := range c.matchers {
		if !m.Matches(a.Labels[m.Name]) {
			return false
		}
	}
	return true
}

// matched is the alert's labels that the rule looked at.
func (c *Compiled) matched(a Alert) map[string]string {
	out := make(map[string]string, len(c.names))
	for _, n := range c.names {
		if v, ok := a.Labels[n]; ok {
			out[n] = v
		}
	}
	return out
}

// render fills the rule's command in with the alert.
func (c *Compiled) render(a Alert) (string, error) {
	var w limited
	if err := c.tmpl.Execute(&w, dataOf(a)); err != nil {
		msg := strings.TrimPrefix(err.Error(), "template: ")
		if i := strings.Index(msg, "map has no entry for key "); i >= 0 {
			msg = "the alert has no label or annotation " + msg[i+len("map has no entry for key "):]
		}
		return "", fmt.Errorf("rule %s could not make its command from the alert: %s", c.Name, msg)
	}
	if strings.TrimSpace(w.b.String()) == "" {
		return "", fmt.Errorf("rule %s made an empty command from the alert", c.Name)
	}
	cmd, err := ops.NormalCommand(w.b.String())
	if err != nil {
		return "", fmt.Errorf("rule %s made a command from the alert that cannot be read: %w", c.Name, err)
	}
	return cmd, nil
}

// Data is what a rule's command template sees: .Labels.job_id,
// .Annotations.summary, .Status, .StartsAt, .GeneratorURL, .Fingerprint.
type Data struct {
	Status       string
	Labels       map[string]Word
	Annotations  map[string]Word
	StartsAt     time.Time
	EndsAt       time.Time
	GeneratorURL Word
	Fingerprint  string
}

// Word is a value from an alert. Put in a command it stays one word and
// the same word (ops.QuoteWord quotes it where it must), so an alert cannot
// add arguments or flags of its own to the command it proposes.
type Word string

func (w Word) String() string { return ops.QuoteWord(string(w)) }

func dataOf(a Alert) Data {
	words := func(m map[string]string) map[string]Word {
		out := make(map[string]Word, len(m))
		for k, v := range m {
			out[k] = Word(v)
		}
		return out
	}
	return Data{
		Status: a.Status, Labels: words(a.Labels), Annotations: words(a.Annotations),
		StartsAt: a.StartsAt, EndsAt: a.EndsAt, GeneratorURL: Word(a.GeneratorURL), Fingerprint: a.Fingerprint,
	}
}

// maxCommand bounds a rendered command; ops refuses longer ones anyway, and
// a template looping over labels must not grow without bound.
const maxCommand = 4096

// limited is a buffer that refuses to grow past maxCommand.
type limited struct{ b strings.Builder }

func (l *limited) Write(p []byte) (int, error) {
	if l.b.Len()+len(p) > maxCommand {
		return 0, fmt.Errorf("the command is longer than %d characters", maxCommand)
	}
	return l.b.Write(p)
}
