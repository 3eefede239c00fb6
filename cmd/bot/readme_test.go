package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/config"
)

// readmeSection is the text of the README's "## title" section.
func readmeSection(t *testing.T, title string) string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, after, found := strings.Cut(string(raw), "\n## "+title+"\n")
	require.True(t, found, "the README has a section %q", title)
	section, _, _ := strings.Cut(after, "\n## ")
	return section
}

// Every package under internal/ has a row in the README's layout table.
func TestTheReadmeLayoutNamesEveryPackage(t *testing.T) {
	var rows []string
	for _, line := range strings.Split(readmeSection(t, "Layout"), "\n") {
		if strings.HasPrefix(line, "| `") {
			path, _, _ := strings.Cut(line[1:], " | ")
			rows = append(rows, regexp.MustCompile("`([^`]+)`").FindAllString(path, -1)...)
		}
	}
	var packages []string
	require.NoError(t, filepath.WalkDir("../../internal", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		pkg, err := filepath.Rel("../..", filepath.Dir(path))
		if pkg = filepath.ToSlash(pkg); !slices.Contains(packages, pkg) {
			packages = append(packages, pkg)
		}
		return err
	}))
	require.NotEmpty(t, packages)
	for _, pkg := range packages {
		assert.Contains(t, rows, "`"+pkg+"`", "the README's layout table has no row for %s", pkg)
	}
}

// The README's table of secrets lists each environment variable the
// config reads, and no other.
func TestTheReadmeListsEverySecretVariable(t *testing.T) {
	// config.example.yaml configures every provider, so loading it asks
	// for every variable the bot reads (a template's password_env aside:
	// its name is the config's).
	var read []string
	_, err := config.Load("../../config.example.yaml", func(name string) string {
		if !slices.Contains(read, name) {
			read = append(read, name)
		}
		return ""
	})
	require.NoError(t, err)
	require.Contains(t, read, "SLACK_BOT_TOKEN")

	var listed []string
	for _, line := range strings.Split(readmeSection(t, "Configuration"), "\n") {
		if variable, _, ok := strings.Cut(strings.TrimPrefix(line, "| "), " | "); ok && strings.HasPrefix(line, "| `") {
			for _, m := range regexp.MustCompile("`([A-Z][A-Z0-9_]+)`").FindAllStringSubmatch(variable, -1) {
				listed = append(listed, m[1])
			}
		}
	}
	slices.Sort(read)
	slices.Sort(listed)
	assert.Equal(t, read, listed, "the environment variables the config reads, and those the README's Configuration section lists")
}
