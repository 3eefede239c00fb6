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
		what = fmt.Sprintf("%q is not a valid value here (expected %s)", m[3], m[4])
	} else if m := badCollection.FindStringSubmatch(msg); m != nil {
		line = m[1]
		what = fmt.Sprintf("%s is not a valid value here (expected %s)", map[string]string{"seq": "a list", "map": "a mapping"}[m[2]], m[3])
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
