package console

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/syncbuf"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// handlerFunc answers each line as a test decides.
type handlerFunc func(ops.Input) (ops.Reply, error)

func (f handlerFunc) Handle(_ context.Context, in ops.Input) (ops.Reply, error) { return f(in) }

var switchRequest = ops.Request{
	ID: "r-7f3a9c", Op: "job switch", Requester: "alice", State: ops.Pending,
	Target: ops.Target{Kind: "job", Alias: "orders-dr", ID: "fac5", Provider: "EventGrid", Scope: "region cn-north-4, project p1"},
	Args:   map[string]string{"sink": "10.0.0.5:9092"}, Flags: []string{"now"},
	Call:      `EventGrid POST /v1/p1/eventrouter/jobs/fac5/action {"operation":"SWITCH"}`,
	Details:   []ops.Field{{Label: "Effect", Value: "source and target swap"}, {Label: "Body", Value: "{\n  \"a\": 1\n}"}},
	Origin:    ops.Origin{Frontend: "console"},
	ExpiresAt: time.Date(2026, 11, 26, 9, 10, 0, 0, time.UTC),
}

// run feeds lines to a console and returns everything it printed.
func run(t *testing.T, h Handler, lines ...string) string {
	t.Helper()
	var out syncbuf.Buffer
	c := New("alice", strings.NewReader(strings.Join(lines, "\n")+"\n"), &out)
	require.NoError(t, c.Run(context.Background(), h))
	return out.String()
}

func TestCardMatchesGolden(t *testing.T) {
	got := run(t, handlerFunc(func(in ops.Input) (ops.Reply, error) {
		assert.Equal(t, "alice", in.User)
		assert.Equal(t, ops.FrontendConsole, in.Origin.Frontend)
		r := switchRequest
		return ops.Reply{Request: &r}, nil
	}), "job switch orders-dr now")
	golden := filepath.Join("testdata", "card.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), got)
}

func TestDecisionsTextAndErrors(t *testing.T) {
	got := run(t, handlerFunc(func(in ops.Input) (ops.Reply, error) {
		switch in.Text {
		case "confirm r-7f3a9c":
			r := switchRequest
			r.State, r.DecidedBy, r.Outcome = ops.Succeeded, "bob", &ops.Outcome{Summary: "Switched job orders-dr (fac5)"}
			return ops.Reply{Request: &r}, nil
		case "help":
			return ops.Reply{Text: "Commands: ..."}, nil
		}
		return ops.Reply{}, errors.New(`unknown command "x"`)
	}), "confirm r-7f3a9c", "   ", "help", "x")
	assert.Contains(t, got, "streamops> r-7f3a9c: Confirmed by bob. Switched job orders-dr (fac5)\n")
	assert.Contains(t, got, "streamops> Commands: ...\n")
	assert.Contains(t, got, "streamops> ! unknown command \"x\"\n")
	assert.Equal(t, 4, strings.Count(got, "streamops> "), "one at the start and one after each answer; none after a blank line:\n%s", got)
	assert.NotContains(t, got, "streamops> streamops> ")
}

func TestNoticesOnlyForConsoleRequests(t *testing.T) {
	var out syncbuf.Buffer
	c := New("alice", strings.NewReader(""), &out)
	r := switchRequest
	c.Notify(context.Background(), ops.Notice{Request: r, Text: "job orders-dr is RUNNING after 2s."})
	r.Origin.Frontend = "slack"
	c.Notify(context.Background(), ops.Notice{Request: r, Text: "not for the console"})
	assert.Equal(t, "\n* r-7f3a9c: job orders-dr is RUNNING after 2s.\nstreamops> ", out.String())
}

func TestRunEndsWithItsContext(t *testing.T) {
	in, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New("alice", in, io.Discard).Run(ctx, handlerFunc(nil)) }()
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

// Nothing a provider or a person writes reaches the terminal as a control
// sequence, nor breaks a line to forge one.
func TestOutputIsPlainText(t *testing.T) {
	out := run(t, handlerFunc(func(ops.Input) (ops.Reply, error) {
		return ops.Reply{Text: "status \x1b[2J\x1b[Hcleared\rr-000000: Confirmed by mallory\u202e"}, nil
	}), "pipeline show orders-etl")
	assert.NotContains(t, out, "\x1b")
	assert.NotContains(t, out, "\r")
	assert.NotContains(t, out, "\u202e")
	assert.Contains(t, out, "status  [2J [Hcleared r-000000: Confirmed by mallory\n")
}

func TestLongLinesAreRefusedWhole(t *testing.T) {
	var seen []string
	out := run(t, handlerFunc(func(in ops.Input) (ops.Reply, error) {
		seen = append(seen, in.Text)
		return ops.Reply{Text: "ok"}, nil
	}), strings.Repeat("y", maxLine+1), strings.Repeat("z", maxLine), "help")
	assert.Equal(t, []string{strings.Repeat("z", maxLine), "help"}, seen, "a line of exactly 64 KiB is taken; one byte more is not")
	assert.Equal(t, 1, strings.Count(out, "! that line is longer than 64 KiB, so it was ignored"))
}

// FuzzReadLine: whatever arrives on stdin, each line is taken whole and
// within the limit, or refused whole; nothing panics.
func FuzzReadLine(f *testing.F) {
	f.Add([]byte("help\npending\r\n"), 16)
	f.Add([]byte(strings.Repeat("x", 100)+"\nok"), 16)
	f.Add([]byte("\n\n\x00\xff\n"), 1)
	f.Fuzz(func(t *testing.T, input []byte, size int) {
		r := bufio.NewReaderSize(bytes.NewReader(input), max(16, size%4096))
		var taken []string
		for {
			l, err := readLine(r)
			if len(l.text) > maxLine || (l.tooLong && l.text != "") {
				t.Fatalf("line of %d bytes, tooLong %v", len(l.text), l.tooLong)
			}
			if !l.tooLong && (err == nil || l.text != "") { // as Run takes them
				taken = append(taken, l.text)
			}
			if err != nil {
				break
			}
		}
		if len(input) <= maxLine { // then every line is taken, blank ones aside
			var want []string
			for _, l := range strings.Split(string(input), "\n") {
				if l = strings.TrimRight(l, "\r"); l != "" {
					want = append(want, l)
				}
			}
			got := slices.DeleteFunc(taken, func(s string) bool { return s == "" })
			if len(want)+len(got) > 0 && !assert.Equal(t, want, got) {
				t.FailNow()
			}
		}
	})
}

// A character device echoes what is typed; a pipe or a file does not.
func TestIsTerminal(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer devNull.Close()
	assert.True(t, isTerminal(devNull))
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	assert.False(t, isTerminal(r))
	assert.False(t, isTerminal(strings.NewReader("")))
}

// The console's equivalents of Slack's pings and undo button: a waiting
// card says who may confirm it, a reminder names them again, and a
// success says what would undo it.
func TestConfirmersRemindersAndUndo(t *testing.T) {
	waiting := switchRequest
	waiting.Confirmers = &ops.Confirmers{Rule: "jobs", Who: []ops.Principal{{Group: "oncall"}, {User: "bob"}}, TwoPerson: true, Requester: "alice"}
	got := run(t, handlerFunc(func(ops.Input) (ops.Reply, error) { return ops.Reply{Request: &waiting}, nil }), "job switch orders-dr")
	assert.Contains(t, got, "+-- Waiting for confirmation: `confirm r-7f3a9c` or `cancel r-7f3a9c`.\n"+
		`May confirm: @oncall, bob. Policy rule "jobs" needs two people, so alice, who asked, cannot confirm it.`+"\n")

	var out syncbuf.Buffer
	New("alice", strings.NewReader(""), &out).Notify(context.Background(), ops.Notice{Request: waiting, Kind: ops.Reminder, Text: "Reminder: r-7f3a9c expires in 2m."})
	assert.Equal(t, "\n* r-7f3a9c: Reminder: r-7f3a9c expires in 2m. May confirm: @oncall, bob. "+
		`Policy rule "jobs" needs two people, so alice, who asked, cannot confirm it.`+"\nstreamops> ", out.String())

	done := switchRequest
	done.State, done.DecidedBy = ops.Succeeded, "bob"
	done.Outcome = &ops.Outcome{Summary: "Switched job orders-dr.", Undo: "job switch orders-dr sink=10.0.1.7:9092"}
	got = run(t, handlerFunc(func(ops.Input) (ops.Reply, error) { return ops.Reply{Request: &done}, nil }), "confirm r-7f3a9c")
	assert.Contains(t, got, "r-7f3a9c: Confirmed by bob. Switched job orders-dr.\nto undo: job switch orders-dr sink=10.0.1.7:9092\n")
	done.Outcome.Undo = ""
	assert.NotContains(t, run(t, handlerFunc(func(ops.Input) (ops.Reply, error) { return ops.Reply{Request: &done}, nil }), "confirm r-7f3a9c"), "undo")
}
