package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// docIndex finds the key path of what a YAML decoder message points at.
// The decoder's messages name only a line, and a line of flow style
// ({expiry: soon, check_timeout: 2m}) holds several keys, so each entry
// keeps the text it shows there too.
type docIndex struct {
	entries []docEntry
	byPath  map[string]*yaml.Node
}

type docEntry struct {
	line  int
	text  string // a key's name, or a scalar value
	isKey bool
	path  string
}

func indexDoc(root *yaml.Node) docIndex {
	d := docIndex{byPath: map[string]*yaml.Node{}}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
			return
		case yaml.AliasNode:
			return // reported where the anchor is
		}
		if path != "" {
			d.byPath[path] = n
			d.entries = append(d.entries, docEntry{line: n.Line, text: n.Value, path: path})
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				d.entries = append(d.entries, docEntry{line: k.Line, text: k.Value, isKey: true, path: p})
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(root, "")
	return d
}

// pathAt is the key path of the key (isKey) or value shown as text on line.
// The decoder shortens long values to their first 7 bytes and "...".
func (d docIndex) pathAt(line int, text string, isKey bool) string {
	prefix, cut := strings.CutSuffix(text, "...")
	var onLine []docEntry
	match := ""
	for _, e := range d.entries {
		if e.line != line {
			continue
		}
		onLine = append(onLine, e)
		// The last match is the innermost: in {user: [a, b]} the list, not
		// the mapping around it.
		if e.isKey == isKey && (e.text == text || (cut && strings.HasPrefix(e.text, prefix))) {
			match = e.path
		}
	}
	if match != "" {
		return match
	}
	// A collection where a scalar belongs shows no text: take the last key
	// on the line, whose value it is.
	for i := len(onLine) - 1; i >= 0; i-- {
		if onLine[i].isKey {
			return onLine[i].path
		}
	}
	return ""
}

var (
	unknownField  = regexp.MustCompile(`^line (\d+): field (\S+) not found in type \S+$`)
	badDuration   = regexp.MustCompile("^line (\\d+): cannot unmarshal !!\\w+ `([^`]*)` into time.Duration$")
	badScalarType = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+) `([^`]*)` into (\\S+)$")
	badCollection = regexp.MustCompile(`^line (\d+): cannot unmarshal !!(seq|map) into (\S+)$`)
)

// explainTypeError rewrites one of the decoder's type errors in the words
// of this file, led by the key path, and returns that path.
func (d docIndex) explainTypeError(msg string) (path string, err error) {
	var line, text, what string
	isKey := false
	if m := unknownField.FindStringSubmatch(msg); m != nil {
		line, text, isKey = m[1], m[2], true
		what = fmt.Sprintf("unknown key %q: check its spelling and indentation against config.example.yaml", m[2])
	} else if m := badDuration.FindStringSubmatch(msg); m != nil {
		line, text = m[1], m[2]
		what = fmt.Sprintf("%q is not a duration: write it like 30s, 10m or 1h", m[2])
	} else if m := badScalarType.FindStringSubmatch(msg); m != nil {
		line, text = m[1], m[3]
		what = fmt.Sprintf("%q is not a valid value here: write %s", m[3], yamlKind(m[4]))
	} else if m := badCollection.FindStringSubmatch(msg); m != nil {
		line = m[1]
		what = fmt.Sprintf("%s is not a valid value here: write %s", map[string]string{"seq": "a list", "map": "a mapping"}[m[2]], yamlKind(m[3]))
	} else {
		return "", errors.New(msg)
	}
	n, _ := strconv.Atoi(line)
	path = d.pathAt(n, text, isKey)
	if path == "" {
		return "", fmt.Errorf("line %s: %s", line, what)
	}
	return path, fmt.Errorf("%s (line %s): %s", path, line, what)
}

// yamlKind says what the decoder's Go type is in the words of a YAML file:
// "a list of strings", not []string.
func yamlKind(goType string) string {
	one, _ := yamlKinds(goType)
	return one
}

// yamlKinds is the singular and plural of yamlKind.
func yamlKinds(t string) (one, many string) {
	t = strings.TrimPrefix(t, "*")
	switch {
	case t == "string":
		return "a string", "strings"
	case t == "bool":
		return "true or false", "true or false values"
	case t == "time.Duration":
		return "a duration like 30s, 10m or 1h", "durations like 30s"
	case t == "config.Size":
		return "a size like 256MiB or 1GiB", "sizes like 256MiB"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		return "a whole number", "whole numbers"
	case strings.HasPrefix(t, "float"):
		return "a number", "numbers"
	case t == "config.Target" || t == "config.targetFields":
		return "an ID or {id: ..., account: ...}", "strings (IDs) or {id: ..., account: ...} mappings"
	case strings.HasPrefix(t, "[]"):
		_, of := yamlKinds(t[2:])
		return "a list of " + of, "lists of " + of
	case strings.HasPrefix(t, "map[string]"):
		_, of := yamlKinds(t[len("map[string]"):])
		return "a mapping of names to " + of, "mappings of names to " + of
	}
	// A struct: a mapping of the keys config.example.yaml shows.
	return "a mapping of keys (see config.example.yaml)", "mappings of keys (see config.example.yaml)"
}

var syntaxLine = regexp.MustCompile(`^line (\d+): `)

// explainTab names a tab that broke the file's indentation: the decoder says
// "found character that cannot start any token", or points a line above it.
// It returns nil when no tab is to blame.
func explainTab(raw []byte, msg string) error {
	m := syntaxLine.FindStringSubmatch(msg)
	if m == nil {
		return nil
	}
	at, _ := strconv.Atoi(m[1])
	lines := strings.Split(string(raw), "\n")
	for n := max(at, 1); n <= at+1 && n <= len(lines); n++ {
		line := lines[n-1]
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t-"))]
		if col := strings.IndexByte(indent, '\t'); col >= 0 {
			return fmt.Errorf("line %d, column %d: a tab character: YAML indents with spaces only, so replace the tab with spaces", n, col+1)
		}
	}
	return nil
}
