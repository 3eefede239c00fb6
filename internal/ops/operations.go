package ops

import "strings"

// The providers, as Target.Provider names them.
const (
	ProviderEnOS      = "EnOS"
	ProviderEventGrid = "EventGrid"
)

// providerOf is the provider behind each kind of target.
var providerOf = map[string]string{"pipeline": ProviderEnOS, "stream": ProviderEventGrid, "job": ProviderEventGrid}

// OperationInfo describes a state-changing operation, so that the metrics
// can show its series, at zero, before its first request.
type OperationInfo struct {
	Name     string // like "pipeline pause"
	Provider string // ProviderEnOS or ProviderEventGrid
	Checked  bool   // a status check follows a success
}

// Operations lists the state-changing operations the configured providers
// make possible, by name.
func (s *Service) Operations() []OperationInfo {
	var out []OperationInfo
	for _, o := range s.catalogue.sorted() {
		if !o.changes() {
			continue
		}
		kind, _, _ := strings.Cut(o.name, " ")
		out = append(out, OperationInfo{Name: o.name, Provider: providerOf[kind], Checked: o.check != nil})
	}
	return out
}

// How a status check after a successful call ended.
const (
	CheckReached  = "reached"   // the target showed the expected status
	CheckTimedOut = "timed_out" // requests.check_timeout passed first
	CheckStopped  = "stopped"   // the bot shut down first
)

func (s *Service) statusChecked(r Request, result string) {
	if s.metrics != nil {
		s.metrics.StatusCheck(r.Op, result)
	}
}
