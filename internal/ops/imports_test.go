package ops_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ops is the product's rules: it imports no transport, no front end and no
// provider client; those implement its ports (see doc.go).
func TestOpsImportsNoTransportNorProviderClient(t *testing.T) {
	forbidden := []string{
		"github.com/slack-go/", "github.com/nats-io/", "net/http",
		"github.com/streamops/streamops/internal/api", "github.com/streamops/streamops/internal/operations",
		"github.com/streamops/streamops/internal/bus", "github.com/streamops/streamops/internal/slackbot",
		"github.com/streamops/streamops/internal/console", "github.com/streamops/streamops/internal/metrics",
	}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			for _, bad := range forbidden {
				assert.False(t, strings.HasPrefix(path, bad), "%s imports %s", name, path)
			}
		}
	}
}
