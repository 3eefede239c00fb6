package config

import (
	"github.com/dustin/go-humanize"

	"github.com/streamops/streamops/internal/bus"
)

// Size is a number of bytes as a person writes it: 512MiB, 1GiB, 2GB or
// 1073741824. Left out, the stream's default applies.
type Size string

// Bytes is the size in bytes; 0 when it is not one (Validate says so).
func (s Size) Bytes() int64 {
	n, err := humanize.ParseBytes(string(s))
	if err != nil || n > 1<<62 {
		return 0
	}
	return int64(n)
}

// Bounds of a stream's max_bytes. The alerts stream must hold a few of the
// largest alerts (1 MiB each); neither needs more than a TiB.
const (
	minAuditBytes  = 1 << 20
	minAlertsBytes = 8 << 20
	maxStreamBytes = 1 << 40
)

// prepareStreams fills in the default sizes and hands the audit stream's to
// the bus, for every command that opens it (serve, audit).
func (c *Config) prepareStreams() {
	if c.Audit.MaxBytes == "" {
		c.Audit.MaxBytes = Size(humanize.IBytes(bus.DefaultAuditMaxBytes))
	}
	if c.Alerts.MaxBytes == "" {
		c.Alerts.MaxBytes = Size(humanize.IBytes(bus.DefaultAlertsMaxBytes))
	}
	c.NATS.AuditMaxBytes = c.Audit.MaxBytes.Bytes()
}

func (c *Config) validateStreams(bad func(string, ...any)) {
	for _, s := range []struct {
		key  string
		size Size
		min  int64
	}{
		{"audit.max_bytes", c.Audit.MaxBytes, minAuditBytes},
		{"alerts.max_bytes", c.Alerts.MaxBytes, minAlertsBytes},
	} {
		n := s.size.Bytes()
		switch {
		case n == 0:
			bad("%s: %q is not a size: write it like 256MiB or 1GiB", s.key, string(s.size))
		case n < s.min || n > maxStreamBytes:
			bad("%s: %s is out of range: give a size from %s to %s", s.key, humanize.IBytes(uint64(n)), humanize.IBytes(uint64(s.min)), humanize.IBytes(maxStreamBytes))
		}
	}
}
