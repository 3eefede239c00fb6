// Package console is the front end for a terminal: commands are read from
// stdin and cards, outcomes and notices are written to stdout. It is what the
// bot runs when Slack is not configured.
package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/streamops/streamops/internal/ops"
)

// Handler decides one line of input.
type Handler interface {
	Handle(ctx context.Context, in ops.Input) (ops.Reply, error)
}

const prompt = "streamops> "

// Console reads commands as one configured user.
type Console struct {
	user string
	in   io.Reader
	mu   sync.Mutex // notices arrive from other goroutines
	out  io.Writer
	// echoed: in is a terminal, which echoes each line and its newline.
	echoed bool
	// follow names the other front ends whose requests the console shows.
	follow map[ops.Frontend]bool
}

// New makes a console for user.
func New(user string, in io.Reader, out io.Writer) *Console {
	return &Console{user: user, in: in, out: out, echoed: isTerminal(in)}
}

// isTerminal reports whether r is a character device, like a terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(interface{ Stat() (os.FileInfo, error) })
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Run reads lines and hands them to h until the input ends or ctx is done.
func (c *Console) Run(ctx context.Context, h Handler) error {
	lines := make(chan line)
	readErr := make(chan error, 1)
	go func() {
		r := bufio.NewReader(c.in)
		for {
			l, err := readLine(r)
			if err == nil || l.text != "" || l.tooLong {
				select {
				case lines <- l:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				readErr <- err
				return
			}
		}
	}()
	c.print(fmt.Sprintf("streamops console: you are %s. Type `help` for commands; Ctrl-D quits.\n", c.user) + prompt)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-readErr:
			c.print("\n")
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("console input: %w", err)
			}
			return nil
		case l := <-lines:
			// A blank line asks nothing. A terminal has echoed its newline,
			// so a prompt goes on the fresh line; from a pipe, a second prompt
			// would only follow the first on the same line.
			if !l.tooLong && strings.TrimSpace(l.text) == "" && !c.echoed {
				continue
			}
			if l.tooLong {
				c.print(fmt.Sprintf("! that line is longer than %d KiB, so it was ignored\n", maxLine>>10))
			} else {
				c.handle(ctx, h, l.text)
			}
			c.print(prompt)
		}
	}
}

func (c *Console) handle(ctx context.Context, h Handler, line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	reply, err := h.Handle(ctx, ops.Input{Text: line, User: c.user, Origin: ops.Origin{Frontend: ops.FrontendConsole}})
	var b strings.Builder
	switch r := reply.Request; {
	case r != nil && r.State == ops.Pending:
		writeCard(&b, ops.CardOf(*r))
		if r.Confirmers != nil {
			b.WriteString(r.Confirmers.Text() + "\n")
		}
	case r != nil:
		// The card was shown when it was asked for: say what became of it.
		fmt.Fprintf(&b, "%s: %s\n", r.ID, ops.CardOf(*r).Status)
		if r.Outcome != nil && r.Outcome.Undo != "" {
			fmt.Fprintf(&b, "to undo: %s\n", r.Outcome.Undo)
		}
	}
	if reply.Text != "" {
		b.WriteString(reply.Text + "\n")
	}
	if err != nil {
		fmt.Fprintf(&b, "! %s\n", err)
	}
	c.print(b.String())
}

// Notify prints a notice between prompts; it implements ops.Notifier.
func (c *Console) Notify(_ context.Context, n ops.Notice) {
	// A decision made here was shown as the answer to its command.
	if !c.shows(n.Request) || n.Text == "" {
		return
	}
	text := n.Text
	if c := n.Request.Confirmers; n.Kind == ops.Reminder && c != nil {
		text += " " + c.Text()
	}
	c.print(fmt.Sprintf("\n* %s: %s\n%s", n.Request.ID, text, prompt))
}

// print writes s as plain text: whatever a provider or a person put in it,
// no control sequence reaches the terminal.
func (c *Console) print(s string) {
	s = ops.PlainLines(s)
	c.mu.Lock()
	defer c.mu.Unlock()
	io.WriteString(c.out, s)
}

// maxLine is the longest command line the console takes; a longer one is
// refused whole rather than cut or allowed to stop the bot.
const maxLine = 64 << 10

type line struct {
	text    string
	tooLong bool
}

// readLine reads up to the next newline, keeping at most maxLine bytes.
func readLine(r *bufio.Reader) (line, error) {
	var buf []byte
	var l line
	for {
		chunk, err := r.ReadSlice('\n')
		if len(buf)+len(chunk) > maxLine+1 { // +1: the newline
			l.tooLong, buf = true, nil
		} else if !l.tooLong {
			buf = append(buf, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if !l.tooLong {
			l.text = strings.TrimRight(string(buf), "\r\n")
		}
		return l, err
	}
}

func writeCard(b *strings.Builder, card ops.Card) {
	fmt.Fprintf(b, "+-- %s\n", card.Title)
	width := 0
	for _, f := range card.Fields {
		width = max(width, len(f.Label))
	}
	for _, l := range card.Links {
		width = max(width, len(l.Label))
	}
	for _, f := range card.Fields {
		// A multi-line value (a job body) is indented under its label.
		value := strings.ReplaceAll(f.Value, "\n", "\n|   ")
		fmt.Fprintf(b, "| %-*s  %s\n", width, f.Label, value)
	}
	for _, l := range card.Links {
		fmt.Fprintf(b, "| %-*s  %s\n", width, l.Label, l.URL)
	}
	fmt.Fprintf(b, "+-- %s\n", card.Status)
}
