// Package egsim simulates Huawei Cloud EventGrid and the IAM token call
// (docs/providers.md §1) for the sandbox, the console demo and the tests: the
// same paths, authentication, error bodies and request IDs as the real
// service.
package egsim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Stream is an event streaming the simulator starts with.
type Stream struct {
	ID     string `yaml:"id"`
	Name   string `yaml:"name"`   // default: the ID
	Status string `yaml:"status"` // CREATED, RUNNING, ERROR or STOPPED; default RUNNING
}

// Job is a professional event stream job the simulator starts with.
type Job struct {
	ID            string `yaml:"id"`
	Name          string `yaml:"name"`   // default: the ID
	Status        string `yaml:"status"` // CREATING, RUNNING, STOPPED or ERROR; default RUNNING
	SourceAddress string `yaml:"source_address"`
	SinkAddress   string `yaml:"sink_address"`
	SourceType    string `yaml:"source_type"` // KAFKA, ROCKETMQ or DCS; default KAFKA
	SinkType      string `yaml:"sink_type"`   // default: the source type
}

// Config is the `sandbox.eg:` section.
type Config struct {
	Listen string `yaml:"listen"` // for `bot simulate`; the config package checks it with the other listen addresses
	// AccessKey and SecretKey are a key pair the simulator accepts besides
	// the one eg.auth may set, so that other clients (Huawei's SDK, hcloud)
	// can sign requests to `bot simulate` whatever mode the bot uses.
	AccessKey string   `yaml:"access_key"`
	SecretKey string   `yaml:"secret_key"`
	Streams   []Stream `yaml:"streams"`
	Jobs      []Job    `yaml:"jobs"`
}

var (
	streamStatuses = []string{"CREATED", "RUNNING", "ERROR", "STOPPED"}
	jobStatuses    = []string{"CREATING", "RUNNING", "STOPPED", "ERROR"}
	endpointTypes  = []string{"KAFKA", "ROCKETMQ", "DCS"}
)

// Validate checks the section; errors name the key.
func (c Config) Validate() error { return c.ValidateAs("sandbox.eg") }

// ValidateAs is Validate for the section written at section (like eg[1].sandbox).
func (c Config) ValidateAs(section string) error {
	var errs []error
	bad := func(sub, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", section, sub, fmt.Sprintf(format, args...)))
	}
	if (c.AccessKey == "") != (c.SecretKey == "") {
		bad("access_key", "access_key and secret_key are set together or not at all")
	}
	// uniqueID checks an entry's ID; seen holds the IDs of its kind so far.
	uniqueID := func(key, kind, id string, seen map[string]bool) {
		if err := checkID(id); err != nil {
			bad(key+".id", "%v", err)
		} else if seen[id] {
			bad(key+".id", "duplicate %s ID %q", kind, id)
		}
		seen[id] = true
	}
	// oneOf checks an optional value against the values it may take.
	oneOf := func(key, val string, allowed []string) {
		if val != "" && !slices.Contains(allowed, val) {
			bad(key, "want one of %s, got %q", strings.Join(allowed, ", "), val)
		}
	}
	seen := map[string]bool{}
	for i, s := range c.Streams {
		key := fmt.Sprintf("streams[%d]", i)
		uniqueID(key, "stream", s.ID, seen)
		oneOf(key+".status", s.Status, streamStatuses)
	}
	seen = map[string]bool{}
	for i, j := range c.Jobs {
		key := fmt.Sprintf("jobs[%d]", i)
		uniqueID(key, "job", j.ID, seen)
		oneOf(key+".status", j.Status, jobStatuses)
		if j.SourceAddress == "" {
			bad(key+".source_address", "required, e.g. 10.0.0.1:9092")
		}
		if j.SinkAddress == "" {
			bad(key+".sink_address", "required, e.g. 10.0.1.1:9092")
		}
		oneOf(key+".source_type", j.SourceType, endpointTypes)
		oneOf(key+".sink_type", j.SinkType, endpointTypes)
	}
	return errors.Join(errs...)
}

func checkID(id string) error {
	if id == "" {
		return errors.New("required")
	}
	if len(id) > 128 || strings.ContainsAny(id, "/?#% \t\r\n") {
		return fmt.Errorf("want at most 128 characters without '/', '?', '#', '%%' or spaces, got %q", id)
	}
	return nil
}
