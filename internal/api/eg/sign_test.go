package eg

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Huawei's published signing example (docs/providers.md §1d).
func TestSignPublishedVector(t *testing.T) {
	req, err := http.NewRequest(http.MethodGet,
		"https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0", nil)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	at, err := time.Parse(sdkDateLayout, "20191115T033655Z")
	require.NoError(t, err)

	signer{accessKey: "QTWAOYTTINDUT2QVKYUC", secretKey: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"}.sign(req, nil, at)

	assert.Equal(t, "20191115T033655Z", req.Header.Get("X-Sdk-Date"))
	assert.Equal(t, "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, "+
		"Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe", req.Header.Get("Authorization"))
}
