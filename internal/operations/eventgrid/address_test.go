package eventgrid

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/ops"
)

func TestParseAddresses(t *testing.T) {
	tests := map[string][]string{
		"10.0.0.1":                       {"10.0.0.1"},
		"10.0.0.1:9092":                  {"10.0.0.1:9092"},
		" 10.0.0.2:9092 , 10.0.0.1:9092": {"10.0.0.1:9092", "10.0.0.2:9092"},
		"[fd00::1]:9092":                 {"[fd00::1]:9092"},
		"fd00::1":                        {"fd00::1"},
		"FD00:0::1":                      {"fd00::1"},
	}
	for in, want := range tests {
		got, err := parseAddresses(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
}

func TestParseAddressesRejects(t *testing.T) {
	for in, says := range map[string]string{
		"":                            "no address given",
		" ":                           "no address given",
		"10.0.0.1,":                   `"" is not an IP address`,
		"10.0.0.300:9092":             `"10.0.0.300:9092" is not an IP address`,
		"host.example:9092":           "is not an IP address",
		"10.0.0.1:0":                  "is not an IP address",
		"10.0.0.1:99999":              "is not an IP address",
		"fe80::1%eth0":                "is not an IP address",
		"10.0.0.1:9092,10.0.0.1:9092": "is given twice",
	} {
		_, err := parseAddresses(in)
		var ie *ops.InputError
		require.True(t, errors.As(err, &ie), "%q: %v", in, err)
		assert.Contains(t, ie.Msg, says, in)
	}
}

func TestSameAddresses(t *testing.T) {
	assert.True(t, sameAddresses([]string{"10.0.0.1:1", "10.0.0.2:1"}, "10.0.0.2:1,10.0.0.1:1"))
	assert.False(t, sameAddresses([]string{"10.0.0.1:1"}, "10.0.0.1:1,10.0.0.2:1"))
	assert.True(t, sameAddresses([]string{"kafka-a:9092"}, " kafka-a:9092 "), "names the provider reports compare as text")
}

func FuzzParseAddresses(f *testing.F) {
	for _, s := range []string{"10.0.0.1:9092", "[::1]:1,1.2.3.4", "fd00::1", ",", "a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseAddresses(s)
		if err != nil {
			var ie *ops.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("%q: error %v is not an InputError", s, err)
			}
			return
		}
		if len(got) == 0 {
			t.Fatalf("%q: no error and no addresses", s)
		}
		// Normalised output parses to itself.
		again, err := parseAddresses(strings.Join(got, ","))
		if err != nil || !slices.Equal(again, got) {
			t.Fatalf("%q: normalised %v does not parse back: %v %v", s, got, again, err)
		}
	})
}
