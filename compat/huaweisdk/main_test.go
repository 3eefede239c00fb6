package huaweisdk

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// repoRoot is the main module, two directories up.
const repoRoot = "../.."

// botPath is the bot binary TestMain builds from the main module.
var botPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "streamops-compat-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	botPath = filepath.Join(dir, "bot")
	// Built in the main module, so the simulator checked is built as users
	// build it, with the main module's dependency versions.
	build := exec.Command("go", "build", "-o", botPath, "./cmd/bot")
	build.Dir = repoRoot
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	code := 1
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the bot:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// example holds what the tests need from config.example.yaml.
type example struct {
	ProjectID, AccessKey, SecretKey  string
	Domain, User, Password, StreamID string
}

// readExample reads the values a user would copy from config.example.yaml.
func readExample(t *testing.T, text string) example {
	t.Helper()
	get := func(pattern string) string {
		m := regexp.MustCompile(`(?m)` + pattern).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("config.example.yaml: no match for %q", pattern)
		}
		return m[1]
	}
	return example{
		ProjectID: get(`^eg:\n  - name: beijing\b.*\n(?:    .*\n)*?    project_id: (\S+)`),
		AccessKey: get(`^eg:\n  - name: beijing\b.*\n(?:    .*\n)*?      access_key: (\S+)`),
		SecretKey: get(`^eg:\n  - name: beijing\b.*\n(?:    .*\n)*?      secret_key: (\S+)`),
		Domain:    get(`^eg:\n  - name: beijing\b.*\n(?:    .*\n)*?      domain: (\S+)`),
		User:      get(`^eg:\n  - name: beijing\b.*\n(?:    .*\n)*?      user: (\S+)`),
		Password:  get(`^eg:\n  - name: beijing\b.*\n(?:    .*\n)*?      password: (\S+)`),
		StreamID:  get(`^eg:\n  - name: beijing\b.*\n(?:    .*\n)*?        - \{id: ([^,]+), name: clickstream`),
	}
}

// simulator is `bot simulate` running config.example.yaml.
type simulator struct {
	url string
	example
}

// startSimulator runs `bot simulate` with config.example.yaml as shipped,
// except that it listens on free ports and logs to a temporary file.
func startSimulator(t *testing.T) simulator {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	dir := t.TempDir()
	for _, r := range [][2]string{
		{"listen: 127.0.0.1:9082", "listen: 127.0.0.1:0"},
		{"listen: 127.0.0.1:9083", "listen: 127.0.0.1:0"},
		{"listen: 127.0.0.1:9081", "listen: 127.0.0.1:0"},
		{"file: ./data/streamops.log", "file: " + filepath.Join(dir, "bot.log")},
	} {
		if !strings.Contains(text, r[0]) {
			t.Fatalf("config.example.yaml no longer has %q: update this test", r[0])
		}
		text = strings.Replace(text, r[0], r[1], 1)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(botPath, "simulate", "--config", path)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")} // no EG_* variables from the caller
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "EventGrid simulator for account beijing: "); ok {
				urls <- u
			}
		}
		io.Copy(io.Discard, stderr)
		close(urls)
	}()
	select {
	case u, ok := <-urls:
		if !ok {
			t.Fatal("bot simulate ended without serving EventGrid")
		}
		return simulator{url: u, example: readExample(t, string(raw))}
	case <-time.After(30 * time.Second):
		t.Fatal("bot simulate did not serve EventGrid within 30s")
	}
	return simulator{}
}
