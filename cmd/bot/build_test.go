package main

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The image is built as `make build` builds bin/bot, so that `bot version`
// in a container says what it says on a laptop.
func TestTheDockerfileBuildsAsMakeBuildDoes(t *testing.T) {
	buildLine := func(path string) string {
		t.Helper()
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		m := regexp.MustCompile(`(?m)^(?:\t|RUN )(CGO_ENABLED=0 \S+ build .*)$`).FindStringSubmatch(string(raw))
		require.NotNil(t, m, "no go build line in %s", path)
		// The same command in each file's spelling, whatever the output path.
		line := strings.NewReplacer("$(GO)", "go", "$$", "$").Replace(m[1])
		return regexp.MustCompile(`-o \S+`).ReplaceAllString(line, "-o OUT")
	}
	makefile, dockerfile := buildLine("../../Makefile"), buildLine("../../Dockerfile")
	assert.Equal(t, makefile, dockerfile)
	assert.Contains(t, makefile, "-X main.version=$VERSION -X main.commit=$COMMIT")
}

// `make run` says why its first start takes minutes before it builds, and
// runs the bot with exec: the bot's exit status is the recipe's, so a
// Ctrl-C that stops the bot cleanly (exit 0) is no "make: *** Error 1".
func TestMakeRunSaysItBuildsThenExecsTheBot(t *testing.T) {
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Skip("no make here: ", err)
	}
	out, err := exec.Command(makeBin, "--dry-run", "--no-print-directory", "-C", "../..", "run", "CONFIG=my.yaml").CombinedOutput()
	require.NoError(t, err, "%s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	say := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "first build") && strings.Contains(l, "minutes") })
	build := slices.IndexFunc(lines, func(l string) bool { return regexp.MustCompile(`go build .*-o bin/bot `).MatchString(l) })
	require.GreaterOrEqual(t, say, 0, "make run says the first build takes minutes:\n%s", out)
	require.Greater(t, build, say, "then builds bin/bot as make build does:\n%s", out)
	assert.Equal(t, "exec bin/bot serve --config my.yaml", lines[len(lines)-1], "then replaces its shell with the bot")
}
