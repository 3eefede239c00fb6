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
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(c.in)
		sc.Buffer(make([]byte, 0, 4096), 64*1024)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
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
		case line := <-lines:
			// A blank line asks nothing. A terminal has echoed its newline,
			// so a prompt goes on the fresh line; from a pipe, a second prompt
			// would only follow the first on the same line.
			if strings.TrimSpace(line) == "" && !c.echoed {
				continue
			}
			c.handle(ctx, h, line)
			c.print(prompt)
		}
	}
}

func (c *Console) handle(ctx context.Context, h Handler, line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	reply, err := h.Handle(ctx, ops.Input{Text: line, User: c.user, Origin: ops.Origin{Frontend: "console"}})
	var b strings.Builder
	switch r := reply.Request; {
	case r != nil && r.State == ops.Pending:
		writeCard(&b, ops.CardOf(*r))
	case r != nil:
		// The card was shown when it was asked for: say what became of it.
		fmt.Fprintf(&b, "%s: %s\n", r.ID, ops.CardOf(*r).Status)
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
	if n.Request.Origin.Frontend != "console" {
		return
	}
	c.print(fmt.Sprintf("\n* %s: %s\n%s", n.Request.ID, n.Text, prompt))
}

func (c *Console) print(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	io.WriteString(c.out, s)
}

func writeCard(b *strings.Builder, card ops.Card) {
	fmt.Fprintf(b, "+-- %s\n", card.Title)
	width := 0
	for _, f := range card.Fields {
		width = max(width, len(f.Label))
	}
	for _, f := range card.Fields {
		// A multi-line value (a job body) is indented under its label.
		value := strings.ReplaceAll(f.Value, "\n", "\n|   ")
		fmt.Fprintf(b, "| %-*s  %s\n", width, f.Label, value)
	}
	fmt.Fprintf(b, "+-- %s\n", card.Status)
}
