package ops

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEditDistance(t *testing.T) {
	assert.Equal(t, 0, editDistance("pause", "pause"))
	assert.Equal(t, 2, editDistance("pasue", "pause"))
	assert.Equal(t, 3, editDistance("", "abc"))
}
