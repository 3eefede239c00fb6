package ops

// OperationInfo describes a state-changing operation, so that the metrics
// can show its series, at zero, before its first request.
type OperationInfo struct {
	Name     string // like "pipeline pause"
	Provider string // as Spec.Provider names it: "EnOS"
	Checked  bool   // a status check follows a success
}

// Operations lists the state-changing operations the configured providers
// make possible, by name.
func (s *Service) Operations() []OperationInfo {
	var out []OperationInfo
	for _, o := range s.catalogue.sorted() {
		if !o.Changes() {
			continue
		}
		out = append(out, OperationInfo{Name: o.Name, Provider: o.Provider, Checked: o.Check != nil})
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
