package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/streamops/streamops/internal/config"
	"github.com/streamops/streamops/internal/syncbuf"
)

// The image serves on every interface with the config its Dockerfile
// copies and its CMD names, and that config passes check-config: a
// published port (`docker run -p 8080:8080`) reaches the bot.
func TestTheImageServesOnEveryInterface(t *testing.T) {
	raw, err := os.ReadFile("../../Dockerfile")
	require.NoError(t, err)
	// The final stage is the image; earlier stages only build.
	stages := regexp.MustCompile(`(?m)^FROM `).Split(string(raw), -1)
	image := stages[len(stages)-1]
	var cmd []string
	m := regexp.MustCompile(`(?m)^CMD (\[.*\])$`).FindStringSubmatch(image)
	require.NotNil(t, m, "the image has a CMD in exec form")
	require.NoError(t, json.Unmarshal([]byte(m[1]), &cmd))
	require.Equal(t, "serve", cmd[0], "the image serves by default")
	at := slices.Index(cmd, "--config")
	require.True(t, at >= 0 && at+1 < len(cmd), "CMD names its config: %q", cmd)
	inImage := cmd[at+1]
	var source string
	for _, c := range regexp.MustCompile(`(?m)^COPY (\S+) (\S+)$`).FindAllStringSubmatch(image, -1) {
		if c[2] == inImage {
			source = c[1]
		}
	}
	require.NotEmpty(t, source, "the Dockerfile copies a file to %s, the config CMD names", inImage)
	var exposed []string
	if e := regexp.MustCompile(`(?m)^EXPOSE (.*)$`).FindStringSubmatch(image); e != nil {
		exposed = strings.Fields(e[1])
	}

	path := filepath.Join("../..", source)
	cfg, err := config.Load(path, func(string) string { return "" })
	require.NoError(t, err)
	listens := map[string]string{"http.listen": cfg.HTTP.Listen}
	if cfg.NATS.URL == "" {
		listens["nats.listen"] = cfg.NATS.Listen
	}
	for key, addr := range listens {
		host, port, err := net.SplitHostPort(addr)
		require.NoError(t, err, key)
		assert.Contains(t, []string{"0.0.0.0", "", "::"}, host, "%s in %s: a published port reaches only an address on every interface", key, source)
		assert.Contains(t, exposed, port, "%s in %s: the Dockerfile EXPOSEs its port", key, source)
	}
	assert.NoError(t, checkDeployConfig(t, path, nil))
}

// Every bot config under deploy/ (files, and configs a Kubernetes
// ConfigMap embeds) passes check-config, with the secrets its Deployment
// gives it as the environment: CI runs this in `make test`.
func TestEveryConfigUnderDeployIsValid(t *testing.T) {
	configs := deployConfigs(t)
	require.GreaterOrEqual(t, len(configs), 2, "the image's config and the Kubernetes ConfigMap at least")
	for _, c := range configs {
		t.Run(c.where, func(t *testing.T) {
			assert.NoError(t, checkDeployConfig(t, c.path, c.env))
		})
	}
}

// In deploy/kubernetes the ConfigMap's providers are those the Secret has
// credentials for, every secret reaches the bot from a Secret (none is
// inline), and Alertmanager's URL in the README is the Service's.
func TestKubernetesSecretsAndServiceAgree(t *testing.T) {
	k := readKubernetes(t, "../../deploy/kubernetes")
	require.NotEmpty(t, k.configs, "the ConfigMap holds config.yaml")
	path := k.configs[0].path
	env := k.configs[0].env
	require.NoError(t, checkDeployConfig(t, path, env))
	// Each secret is needed: without it check-config fails, or (for the
	// optional ones) the bot would run without the token it was given.
	optional := map[string]func(*config.Config) string{
		"NATS_TOKEN":           func(c *config.Config) string { return c.NATS.Token },
		"ALERTS_WEBHOOK_TOKEN": func(c *config.Config) string { return c.Alerts.WebhookToken },
	}
	for _, name := range env {
		if read, ok := optional[name]; ok {
			cfg, err := config.Load(path, placeholders(env))
			require.NoError(t, err)
			assert.Equal(t, placeholders(env)(name), read(cfg), "%s reaches the config", name)
			continue
		}
		assert.Error(t, checkDeployConfig(t, path, slices.DeleteFunc(slices.Clone(env), func(n string) bool { return n == name })),
			"the Secret gives %s, but the ConfigMap's config does not need it: a provider or mode the config does not use", name)
	}
	for _, name := range slices.Collect(maps.Keys(optional)) {
		assert.Contains(t, env, name, "the Deployment gives %s from a Secret", name)
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotRegexp(t, `(?m)^\s*(token|webhook_token|app_secret|app_key|secret_key|access_key|password|bot_token|signing_secret|app_token):`, string(raw),
		"secrets come from the Secret, not the ConfigMap")

	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	m := regexp.MustCompile(`url: (http://\S+/alerts/alertmanager)`).FindSubmatch(readme)
	require.NotNil(t, m, "the README gives Alertmanager's webhook URL")
	u, err := url.Parse(string(m[1]))
	require.NoError(t, err)
	svc := strings.Split(u.Hostname(), ".")[0]
	require.Contains(t, k.servicePorts, svc, "the README's Alertmanager URL names the Service %s", svc)
	port := u.Port()
	if port == "" {
		port = "80"
	}
	assert.Equal(t, port, strconv.Itoa(k.servicePorts[svc]), "the README's Alertmanager URL has the Service's port")
	cfg, err := config.Load(path, placeholders(env))
	require.NoError(t, err)
	_, listen, err := net.SplitHostPort(cfg.HTTP.Listen)
	require.NoError(t, err)
	assert.Equal(t, listen, strconv.Itoa(k.serviceTargets[svc]), "the Service sends to the port http.listen serves")
}

// deployConfig is a bot config found under deploy/, written to path, with
// the names of the environment variables its deployment sets.
type deployConfig struct {
	where, path string
	env         []string
}

// deployConfigs finds every bot config under deploy/: a YAML document, or
// a ConfigMap's entry, whose keys are all keys of the bot's config.
func deployConfigs(t *testing.T) []deployConfig {
	t.Helper()
	var found []deployConfig
	dirs := map[string]bool{}
	require.NoError(t, filepath.WalkDir("../../deploy", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !slices.Contains([]string{".yaml", ".yml"}, filepath.Ext(path)) {
			return err
		}
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		for _, doc := range yamlDocs(t, raw) {
			if isBotConfig(doc) {
				found = append(found, deployConfig{where: path, path: path})
			}
			if doc["kind"] == "ConfigMap" {
				dirs[filepath.Dir(path)] = true
			}
		}
		return nil
	}))
	for _, dir := range slices.Sorted(maps.Keys(dirs)) {
		found = append(found, readKubernetes(t, dir).configs...)
	}
	return found
}

// kubernetes is what the tests read from one directory of manifests.
type kubernetes struct {
	configs []deployConfig
	// servicePorts and serviceTargets: each Service's port, and the
	// container port its targetPort names.
	servicePorts, serviceTargets map[string]int
}

func readKubernetes(t *testing.T, dir string) kubernetes {
	t.Helper()
	var docs []map[string]any
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	require.NoError(t, err)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		docs = append(docs, yamlDocs(t, raw)...)
	}
	var k8s struct {
		secretKeys     map[string][]string // ExternalSecret target -> its keys
		pods           []map[string]any    // each Deployment's pod spec
		containerPorts map[string]int
		configMaps     map[string]map[string]any
		services       []map[string]any
	}
	k8s.secretKeys, k8s.containerPorts, k8s.configMaps = map[string][]string{}, map[string]int{}, map[string]map[string]any{}
	for _, doc := range docs {
		meta, _ := doc["metadata"].(map[string]any)
		switch doc["kind"] {
		case "ExternalSecret":
			spec := doc["spec"].(map[string]any)
			target := spec["target"].(map[string]any)["name"].(string)
			for _, d := range spec["data"].([]any) {
				k8s.secretKeys[target] = append(k8s.secretKeys[target], d.(map[string]any)["secretKey"].(string))
			}
		case "ConfigMap":
			k8s.configMaps[meta["name"].(string)] = doc["data"].(map[string]any)
		case "Deployment":
			pod := dig(doc, "spec", "template", "spec")
			k8s.pods = append(k8s.pods, pod)
			for _, c := range pod["containers"].([]any) {
				for _, p := range asList(c.(map[string]any)["ports"]) {
					p := p.(map[string]any)
					k8s.containerPorts[p["name"].(string)] = p["containerPort"].(int)
				}
			}
		case "Service":
			k8s.services = append(k8s.services, doc)
		}
	}
	out := kubernetes{servicePorts: map[string]int{}, serviceTargets: map[string]int{}}
	for _, svc := range k8s.services {
		name := svc["metadata"].(map[string]any)["name"].(string)
		for _, p := range dig(svc, "spec")["ports"].([]any) {
			p := p.(map[string]any)
			out.servicePorts[name] = p["port"].(int)
			target, named := p["targetPort"].(string)
			if named {
				out.serviceTargets[name] = k8s.containerPorts[target]
			} else {
				out.serviceTargets[name], _ = p["targetPort"].(int)
			}
		}
	}
	// A ConfigMap's config runs with the environment of the container
	// that mounts it: the Secrets' keys it imports, and env entries, each
	// of which must come from a Secret.
	for _, pod := range k8s.pods {
		// The config's container is the one that mounts the ConfigMap;
		// these manifests run one container per pod.
		require.Len(t, pod["containers"], 1)
		c := pod["containers"].([]any)[0].(map[string]any)
		var env []string
		for _, from := range asList(c["envFrom"]) {
			if ref, ok := from.(map[string]any)["secretRef"].(map[string]any); ok {
				keys, known := k8s.secretKeys[ref["name"].(string)]
				require.True(t, known, "envFrom names the Secret %s, which no ExternalSecret makes", ref["name"])
				env = append(env, keys...)
			}
		}
		for _, e := range asList(c["env"]) {
			e := e.(map[string]any)
			_, inline := e["value"]
			require.False(t, inline, "env %s is written in the manifest: take it from a Secret (valueFrom.secretKeyRef)", e["name"])
			ref := dig(e, "valueFrom", "secretKeyRef")
			require.NotNil(t, ref, "env %s comes from a Secret", e["name"])
			require.Contains(t, k8s.secretKeys[ref["name"].(string)], ref["key"], "env %s: the Secret %s has the key", e["name"], ref["name"])
			env = append(env, e["name"].(string))
		}
		for _, v := range asList(pod["volumes"]) {
			cm, ok := v.(map[string]any)["configMap"].(map[string]any)
			if !ok {
				continue
			}
			for key, body := range k8s.configMaps[cm["name"].(string)] {
				var doc map[string]any
				if yaml.Unmarshal([]byte(body.(string)), &doc) != nil || !isBotConfig(doc) {
					continue
				}
				path := filepath.Join(t.TempDir(), key)
				require.NoError(t, os.WriteFile(path, []byte(body.(string)), 0o600))
				out.configs = append(out.configs, deployConfig{where: filepath.Join(dir, "ConfigMap "+cm["name"].(string), key), path: path, env: env})
			}
		}
	}
	return out
}

// isBotConfig reports whether doc's keys are all keys of the bot's config.
func isBotConfig(doc map[string]any) bool {
	if len(doc) == 0 {
		return false
	}
	keys := map[string]bool{}
	for _, f := range reflect.VisibleFields(reflect.TypeFor[config.Config]()) {
		keys[strings.Split(f.Tag.Get("yaml"), ",")[0]] = true
	}
	for k := range doc {
		if !keys[k] {
			return false
		}
	}
	return true
}

func yamlDocs(t *testing.T, raw []byte) []map[string]any {
	t.Helper()
	var docs []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		require.NoError(t, err)
		docs = append(docs, doc)
	}
}

func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// placeholders gives each named variable a value of the form its check
// expects (Slack's tokens have prefixes), and no other variable a value.
func placeholders(names []string) func(string) string {
	return func(k string) string {
		if !slices.Contains(names, k) {
			return ""
		}
		switch k {
		case "SLACK_BOT_TOKEN":
			return "xoxb-placeholder"
		case "SLACK_APP_TOKEN":
			return "xapp-placeholder"
		}
		return "placeholder-" + strings.ToLower(k)
	}
}

// checkDeployConfig runs `bot check-config` on path with the variables
// named in env set.
func checkDeployConfig(t *testing.T, path string, env []string) error {
	t.Helper()
	var out syncbuf.Buffer
	return run(context.Background(), []string{"check-config", "--config", path}, placeholders(env), nil, &out, &out)
}
