package ops

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// operation is one command of the catalogue as the engine carries it out:
// a provider's Spec, or a built-in command.
type operation struct {
	Spec
	keys []string // the names of Spec.Params: the key=value arguments allowed
	// subject: one optional word after the name, kept in Args["target"].
	subject bool
	// timeline, instead of Read, answers with a timeline to show to all.
	timeline func(ctx context.Context, r Request) (Timeline, error)
}

// fromSpec is the engine's view of a provider's operation.
func fromSpec(sp Spec) *operation {
	o := &operation{Spec: sp}
	for _, p := range sp.Params {
		o.keys = append(o.keys, p.Name)
	}
	return o
}

// catalogue is the set of operations the configured providers make possible.
type catalogue struct {
	byName map[string]*operation
}

func (c *catalogue) add(ops ...*operation) {
	if c.byName == nil {
		c.byName = map[string]*operation{}
	}
	for _, o := range ops {
		if o.Spec.Name == "" { // a built-in: front ends see it as a spec too
			o.Spec = Spec{Name: o.Name, Usage: o.Usage, Summary: o.Summary}
		}
		c.byName[o.Name] = o
	}
}

func (c *catalogue) addSpecs(specs []Spec) {
	for _, sp := range specs {
		c.add(fromSpec(sp))
	}
}

// lookup finds the operation named by the first words of cmd, and returns
// the words after its name.
func (c *catalogue) lookup(words []string) (*operation, []string, error) {
	for n := min(2, len(words)); n >= 1; n-- {
		if o, ok := c.byName[commandName(words[:n])]; ok {
			return o, words[n:], nil
		}
	}
	var group []string
	for _, o := range c.sorted() {
		if strings.HasPrefix(o.Name, words[0]+" ") {
			group = append(group, o.Name)
		}
	}
	if len(group) > 0 {
		return nil, nil, inputErrorf("unknown command %q. With %s you can: %s", strings.Join(words[:min(2, len(words))], " "), words[0], strings.Join(group, ", "))
	}
	return nil, nil, inputErrorf("unknown command %q: type `help` to see what I can do", words[0])
}

func (c *catalogue) sorted() []*operation {
	ops := make([]*operation, 0, len(c.byName))
	for _, o := range c.byName {
		ops = append(ops, o)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Name < ops[j].Name })
	return ops
}

func (o *operation) usageLine() string {
	if o.Usage == "" {
		return o.Name
	}
	return fmt.Sprintf("%s %s", o.Name, o.Usage)
}
