package enossim

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Pipeline statuses, as EnOS spells them.
const (
	StatusPublished = "PUBLISHED"
	StatusRunning   = "RUNNING"
	StatusPaused    = "PAUSED"
	StatusStopped   = "STOPPED"
)

// Pipeline is a simulated stream processing job.
type Pipeline struct {
	ID     string `yaml:"id"`
	Name   string `yaml:"name"`
	Status string `yaml:"status"`
}

// Config is the `sandbox.enos:` section of the bot's config.
type Config struct {
	Listen    string     `yaml:"listen"` // address for `bot simulate`; the config package checks it with the other listen addresses
	Pipelines []Pipeline `yaml:"pipelines"`
}

// Validate reports every malformed key, prefixed "sandbox.enos.".
func (c Config) Validate() error { return c.ValidateAs("sandbox.enos") }

// ValidateAs is Validate for the section written at section (like enos[1].sandbox).
func (c Config) ValidateAs(section string) error {
	var errs []error
	fail := func(sub, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", section, sub, fmt.Sprintf(format, args...)))
	}
	seen := make(map[string]int)
	for i, p := range c.Pipelines {
		key := fmt.Sprintf("pipelines[%d]", i)
		switch {
		case p.ID == "":
			fail(key+".id", "required")
		case strings.IndexFunc(p.ID, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '/' }) >= 0:
			fail(key+".id", "%q must not contain whitespace or '/'", p.ID)
		default:
			if j, dup := seen[p.ID]; dup {
				fail(key+".id", "%q is already used by pipelines[%d]", p.ID, j)
			}
			seen[p.ID] = i
		}
		if !validStatus(p.Status) {
			fail(key+".status", "%q is not one of %s, %s, %s, %s", p.Status, StatusPublished, StatusRunning, StatusPaused, StatusStopped)
		}
	}
	return errors.Join(errs...)
}

func validStatus(s string) bool {
	switch s {
	case StatusPublished, StatusRunning, StatusPaused, StatusStopped:
		return true
	}
	return false
}
