package ops

import (
	"slices"
	"strings"
)

// KnownCommand reports whether text names a built-in command or one of
// specs, every provider's whichever is configured: a rule's command is
// checked with it when the config is read, long before an alert renders
// it. A name word left empty (a label the rule fills in) is not judged.
func KnownCommand(text string, specs []Spec) error {
	c, err := ParseCommand(text)
	if err != nil {
		return err
	}
	name := c.Words[:min(2, len(c.Words))]
	if slices.Contains(name, "") {
		return nil
	}
	switch name[0] {
	case "confirm", "cancel":
		return nil
	}
	table := commandTable(specs)
	if _, _, err := table.lookup(c.Words); err != nil {
		if near := table.nearest(commandName(name)); near != "" {
			return inputErrorf("%s; did you mean `%s`?", err, near)
		}
		return err
	}
	return nil
}

// commandTable is the built-in commands and specs; only the names are read.
func commandTable(specs []Spec) *catalogue {
	var c catalogue
	s := &Service{}
	c.add(s.builtins()...)
	c.add(s.history(), s.timeline())
	c.addSpecs(specs)
	return &c
}

// nearest is the command whose name is within two typos of name, for a
// hint; empty if none is that close.
func (c *catalogue) nearest(name string) string {
	best, bestDist := "", 3
	n := len(strings.Fields(name))
	for _, o := range c.sorted() {
		words := strings.Fields(o.Name)
		if d := editDistance(name, strings.Join(words[:min(n, len(words))], " ")); d < bestDist {
			best, bestDist = o.Name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}
