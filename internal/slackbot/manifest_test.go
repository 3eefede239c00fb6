package slackbot

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// The manifests in deploy/slack set up what this package serves.
func TestManifestsMatchTheBot(t *testing.T) {
	type manifest struct {
		Features struct {
			AppHome struct {
				HomeTab bool `yaml:"home_tab_enabled"`
			} `yaml:"app_home"`
			SlashCommands []struct {
				Command string `yaml:"command"`
				URL     string `yaml:"url"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Interactivity struct {
				Enabled    bool   `yaml:"is_enabled"`
				RequestURL string `yaml:"request_url"`
				OptionsURL string `yaml:"message_menu_options_url"`
			} `yaml:"interactivity"`
			Events struct {
				RequestURL string   `yaml:"request_url"`
				BotEvents  []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	read := func(name string) manifest {
		raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "slack", name))
		require.NoError(t, err)
		var m manifest
		require.NoError(t, yaml.Unmarshal(raw, &m), name)
		require.Len(t, m.Features.SlashCommands, 1, name)
		assert.Equal(t, "/streamops", m.Features.SlashCommands[0].Command, name)
		assert.ElementsMatch(t, []string{"commands", "chat:write", "usergroups:read"}, m.OAuth.Scopes.Bot, name)
		assert.True(t, m.Settings.Interactivity.Enabled, name)
		// The Home tab is published when opened: the events the bot handles, no more.
		assert.True(t, m.Features.AppHome.HomeTab, name)
		assert.ElementsMatch(t, slices.Collect(maps.Keys(New(nil, nil, Config{}).dispatch.events)), m.Settings.Events.BotEvents, name)
		return m
	}
	h := read("manifest.yaml")
	assert.False(t, h.Settings.SocketMode)
	assert.Regexp(t, `^https://[^/]+/slack/commands$`, h.Features.SlashCommands[0].URL)
	assert.Regexp(t, `^https://[^/]+/slack/interactions$`, h.Settings.Interactivity.RequestURL)
	assert.Equal(t, h.Settings.Interactivity.RequestURL, h.Settings.Interactivity.OptionsURL, "the builder's target menu is answered where clicks are")
	assert.Regexp(t, `^https://[^/]+/slack/events$`, h.Settings.Events.RequestURL)

	s := read("manifest-socket-mode.yaml")
	assert.True(t, s.Settings.SocketMode)
	assert.Empty(t, s.Features.SlashCommands[0].URL)
	assert.Empty(t, s.Settings.Interactivity.RequestURL)
	assert.Empty(t, s.Settings.Interactivity.OptionsURL)
	assert.Empty(t, s.Settings.Events.RequestURL)
}
