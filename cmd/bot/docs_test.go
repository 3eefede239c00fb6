package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	// providerCitation is "docs/providers.md §1a", or a list such as
	// "docs/providers.md §1a, §1e"; the comment's line breaks are spaces.
	providerCitation = regexp.MustCompile(`docs/providers\.md((?:,?\s+(?:and\s+)?§[0-9]+[a-z]?\b)*)`)
	citedSection     = regexp.MustCompile(`§([0-9]+[a-z]?)`)
	sectionHeading   = regexp.MustCompile(`(?m)^#{2,4} §([0-9]+[a-z]?) `)
	// outsideDocument is what comments cited before the provider page was in
	// the repository: documents a reader of the code does not have.
	outsideDocument = regexp.MustCompile(`(?i)\bapis\.md\b|\bseed 0\d\d\b`)
)

// Every section of docs/providers.md that a Go comment cites is a heading of
// that page, and no comment cites the documents outside the repository it
// restates, so that the citations cannot rot.
func TestProviderCitationsHaveTheirSection(t *testing.T) {
	const root = "../.."
	page, err := os.ReadFile(filepath.Join(root, "docs", "providers.md"))
	require.NoError(t, err)
	sections := map[string]bool{}
	for _, m := range sectionHeading.FindAllSubmatch(page, -1) {
		sections[string(m[1])] = true
	}
	require.NotEmpty(t, sections, "docs/providers.md has no headings like \"### §1a Operate an event stream\"")

	citations := 0
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "data" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, group := range f.Comments {
			text := strings.Join(strings.Fields(group.Text()), " ")
			at := fset.Position(group.Pos())
			if m := outsideDocument.FindString(text); m != "" {
				t.Errorf("%s cites %q, which is not in the repository: cite docs/providers.md §N instead", at, m)
			}
			for _, c := range providerCitation.FindAllStringSubmatch(text, -1) {
				for _, s := range citedSection.FindAllStringSubmatch(c[1], -1) {
					citations++
					assert.True(t, sections[s[1]], "%s cites docs/providers.md §%s, which has no heading there", at, s[1])
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
	assert.NotZero(t, citations, "no Go comment cites docs/providers.md §N: is the pattern still right?")
}
