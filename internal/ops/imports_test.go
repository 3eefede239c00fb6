package ops

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ops holds the product's rules: the providers' clients are reached only
// through the Provider port, implemented outside it.
func TestOpsImportsNoProviderClient(t *testing.T) {
	entries, err := os.ReadDir(".")
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			for _, banned := range []string{"/internal/api", "/internal/operations", "/internal/bus", "/internal/slackbot", "slack-go", "nats-io"} {
				assert.NotContains(t, path, banned, "%s imports %s", name, path)
			}
		}
	}
}
