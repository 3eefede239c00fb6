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
	"github.com/streamops/streamops/internal/ops"
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
// config reads, and no other: the default account's by name, a named
// account's by the rule the README states, <NAME> standing for the
// account's name upper-cased with '-' turned into '_'.
func TestTheReadmeListsEverySecretVariable(t *testing.T) {
	// These configure every provider, with default and named accounts of
	// both, so loading them asks for every variable the bot reads (a
	// template's password_env aside: its name is the config's).
	named := filepath.Join(t.TempDir(), "named.yaml")
	require.NoError(t, os.WriteFile(named, []byte(`
console: {user: alice}
enos: [{name: eu-1, endpoint: sandbox, org_id: o1, app_key: k, app_secret: s}]
eg: [{name: cn-2, endpoint: sandbox, region: r, project_id: p, auth: {mode: token, token: t}}]
`), 0o600))
	var read []string
	accounts := map[string][]string{} // ENOS, EG -> the names of their named accounts, as variables spell them
	for _, path := range []string{"../../config.example.yaml", "../../internal/config/testdata/config.example.45426fb.yaml", named} {
		cfg, err := config.Load(path, func(name string) string {
			if !slices.Contains(read, name) {
				read = append(read, name)
			}
			return ""
		})
		require.NoError(t, err, path)
		spell := func(provider, name string) {
			if name != ops.DefaultAccount {
				accounts[provider] = append(accounts[provider], strings.ToUpper(strings.ReplaceAll(name, "-", "_")))
			}
		}
		for _, a := range cfg.EnOS.All {
			spell("ENOS", a.Name)
		}
		for _, a := range cfg.EG.All {
			spell("EG", a.Name)
		}
	}
	require.Contains(t, read, "SLACK_BOT_TOKEN")
	require.Contains(t, read, "EG_SHANGHAI_PASSWORD", "config.example.yaml has EventGrid account shanghai")

	// Each listed variable, a rule's once for each named account of its
	// provider; and each listed variable or rule is read by some config.
	var listed []string
	unread := map[string][]string{}
	for _, line := range strings.Split(readmeSection(t, "Configuration"), "\n") {
		if variable, _, ok := strings.Cut(strings.TrimPrefix(line, "| "), " | "); ok && strings.HasPrefix(line, "| `") {
			for _, m := range regexp.MustCompile("`([A-Z][A-Z0-9_]*(?:<NAME>[A-Z0-9_]+)?)`").FindAllStringSubmatch(variable, -1) {
				names := []string{m[1]}
				if provider, _, rule := strings.Cut(m[1], "_<NAME>"); rule {
					names = nil
					for _, account := range accounts[provider] {
						names = append(names, strings.Replace(m[1], "<NAME>", account, 1))
					}
				}
				listed = append(listed, names...)
				unread[m[1]] = names
			}
		}
	}
	for entry, names := range unread {
		assert.True(t, slices.ContainsFunc(names, func(n string) bool { return slices.Contains(read, n) }), "the README lists %s, which no config reads", entry)
	}
	slices.Sort(read)
	slices.Sort(listed)
	assert.Equal(t, read, slices.Compact(listed), "the environment variables the config reads, and those the README's Configuration section lists")
}
