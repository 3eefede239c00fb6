package eg

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The bodies in testdata/sdk are Huawei's Go SDK's own response models,
// filled and marshalled by the SDK (compat/huaweisdk writes and checks
// them). Every field the client reads must arrive from them.
func TestReadsWhatTheOfficialSDKWrites(t *testing.T) {
	body := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "sdk", name))
		require.NoError(t, err)
		return string(b)
	}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		switch {
		case r.Method == http.MethodPost:
			reply(w, 200, "rid-operate", body("operate_stream.json"))
		case r.URL.Path == "/v1/"+testProject+"/eventstreamings":
			reply(w, 200, "rid-list", body("list_streams.json"))
		case r.URL.Path == "/v1/"+testProject+"/eventstreamings/missing":
			reply(w, 404, "rid-error", body("error.json"))
		default:
			reply(w, 200, "rid-show", body("show_stream.json"))
		}
	})
	c := newClient(t, srv.URL, tokenConfig())
	ctx := context.Background()
	const id = "6f8e2d1c-0b9a-4c3d-8e7f-1a2b3c4d5e6f"

	s, err := c.Stream(ctx, id)
	require.NoError(t, err)
	assertEveryField(t, s)
	assert.Equal(t, id, s.ID)
	assert.Equal(t, StreamStopped, s.Status)

	list, err := c.Streams(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	for _, s := range list {
		assertEveryField(t, s)
	}

	res, err := c.OperateStream(ctx, id, StreamPause)
	require.NoError(t, err)
	assert.Equal(t, Result{ID: id, RequestID: "rid-operate"}, res)

	_, err = c.Stream(ctx, "missing")
	var e *Error
	require.ErrorAs(t, err, &e)
	assertEveryField(t, *e)
	assert.Equal(t, "EG.00014040", e.Code)
	assert.Equal(t, "rid-error", e.RequestID, "the SDK's ErrorInfo has no request_id: the header's is used")
}

// assertEveryField fails for each field of v left at its zero value.
func assertEveryField(t *testing.T, v any) {
	t.Helper()
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		assert.False(t, rv.Field(i).IsZero(), "%s.%s did not arrive", rv.Type().Name(), rv.Type().Field(i).Name)
	}
}
