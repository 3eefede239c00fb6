package main

import (
	"os"
	"regexp"
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
