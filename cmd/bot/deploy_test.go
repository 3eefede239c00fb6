package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/streamops/streamops/internal/syncbuf"
)

// The config in the Kubernetes example passes check-config, with its
// secrets from the environment as the platform's secret store gives them.
func TestDeployConfigIsValid(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/kubernetes/streamops.yaml")
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var config string
	for {
		var doc struct {
			Kind string            `yaml:"kind"`
			Data map[string]string `yaml:"data"`
		}
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if doc.Kind == "ConfigMap" {
			config = doc.Data["config.yaml"]
		}
	}
	require.NotEmpty(t, config, "the ConfigMap holds config.yaml")
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(config), 0o600))
	env := map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "NATS_TOKEN": "t",
		"ENOS_APP_KEY": "k", "ENOS_APP_SECRET": "s",
	}
	var out syncbuf.Buffer
	require.NoError(t, run(context.Background(), []string{"check-config", "--config", path}, func(k string) string { return env[k] }, nil, &out, &out))
}
