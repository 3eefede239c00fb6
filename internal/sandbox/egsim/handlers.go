package egsim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/streamops/streamops/internal/api/eg"
)

func (s *Simulator) operateStream(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Operation string `json:"operation"`
	}
	if !decode(w, r, &req) {
		return
	}
	var status string
	switch req.Operation {
	case eg.StreamStart:
		status = eg.StreamRunning
	case eg.StreamPause:
		status = eg.StreamStopped
	default:
		fail(w, http.StatusBadRequest, codeInvalidParam, fmt.Sprintf("operation must be START or PAUSE, got %q", req.Operation))
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	st, ok := s.streams[id]
	if ok {
		st.Status, st.UpdatedTime = status, timestamp(s.now())
	}
	s.mu.Unlock()
	if !ok {
		fail(w, http.StatusNotFound, codeNotFound, "no event streaming "+id)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"eventStreamingID": id})
}

func (s *Simulator) showStream(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	st, ok := s.streams[id]
	var out streamDetail
	if ok {
		out = detail(*st)
	}
	s.mu.Unlock()
	if !ok {
		fail(w, http.StatusNotFound, codeNotFound, "no event streaming "+id)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Simulator) listStreams(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	items := make([]streamDetail, 0, len(s.streamIDs))
	for _, id := range s.streamIDs {
		items = append(items, detail(*s.streams[id]))
	}
	s.mu.Unlock()
	writePage(w, r, items)
}

func (s *Simulator) showJob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	j, ok := s.jobs[id]
	var out eg.Job
	if ok {
		out = s.settle(j)
	}
	s.mu.Unlock()
	if !ok {
		fail(w, http.StatusNotFound, codeNotFound, "no job "+id)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Simulator) listJobs(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	items := make([]eg.Job, 0, len(s.jobIDs))
	for _, id := range s.jobIDs {
		items = append(items, s.settle(s.jobs[id]))
	}
	s.mu.Unlock()
	writePage(w, r, items)
}

func (s *Simulator) createJob(w http.ResponseWriter, r *http.Request) {
	var req eg.CreateJob
	if !decode(w, r, &req) {
		return
	}
	if err := req.Validate(); err != nil {
		fail(w, http.StatusBadRequest, codeInvalidParam, strings.ReplaceAll(err.Error(), "\n", "; "))
		return
	}
	// The service keeps no password it could echo back.
	req = req.Masked()
	now := s.now()
	j := &jobState{created: now, Job: eg.Job{
		ID:            randomUUID(),
		ClusterID:     req.ClusterID,
		Name:          req.Name,
		Description:   req.Description,
		SceneType:     req.SceneType,
		SourceType:    sourceType(req.SourceConfig),
		SinkType:      sinkType(req.SinkConfig),
		SourceConfig:  req.SourceConfig,
		SinkConfig:    req.SinkConfig,
		AdvanceConfig: req.AdvanceConfig,
		Status:        "CREATING",
		CreatedTime:   timestamp(now),
		UpdatedTime:   timestamp(now),
	}}
	s.mu.Lock()
	dup := slices.ContainsFunc(s.jobIDs, func(id string) bool { return s.jobs[id].Name == req.Name })
	if !dup {
		s.jobs[j.ID] = j
		s.jobIDs = append(s.jobIDs, j.ID)
	}
	out := j.Job
	s.mu.Unlock()
	if dup {
		fail(w, http.StatusBadRequest, codeNameDuplicate, "a job named "+req.Name+" exists")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Simulator) actOnJob(w http.ResponseWriter, r *http.Request) {
	var req eg.JobAction
	if !decode(w, r, &req) {
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		fail(w, http.StatusNotFound, codeNotFound, "no job "+id)
		return
	}
	if s.settle(j).Status == "CREATING" {
		fail(w, http.StatusBadRequest, codeBadRequest, "job "+id+" is still being created")
		return
	}
	switch {
	case req.Operation == eg.JobStart:
		j.Status = "RUNNING"
	case req.Operation != "" && req.Operation == s.ops.Stop:
		j.Status = "STOPPED"
	case req.Operation != "" && req.Operation == s.ops.Switch:
		if e := switchOver(j, req.Config); e != nil {
			e.write(w)
			return
		}
	default:
		fail(w, http.StatusBadRequest, codeInvalidParam, fmt.Sprintf("unsupported operation %q", req.Operation))
		return
	}
	j.UpdatedTime = timestamp(s.now())
	writeJSON(w, http.StatusOK, map[string]string{"job_id": id})
}

// switchOver follows docs/providers.md §1b: an address matching the current
// source swaps source and target; one matching the current target changes
// nothing.
func switchOver(j *jobState, cfg *eg.ActionConfig) *apiError {
	if cfg == nil || cfg.SinkAddress == "" {
		return &apiError{http.StatusBadRequest, codeInvalidParam, "a switchover needs config.sink_address"}
	}
	switch {
	case sameAddresses(cfg.SinkAddress, j.SourceAddress()):
		src, dst := j.SourceConfig, j.SinkConfig
		j.SourceConfig = &eg.SourceConfig{Kafka: dst.Kafka, RocketMQ: dst.RocketMQ, DCS: dst.DCS}
		j.SinkConfig = &eg.SinkConfig{Kafka: src.Kafka, RocketMQ: src.RocketMQ, DCS: src.DCS}
		j.SourceType, j.SinkType = j.SinkType, j.SourceType
	case sameAddresses(cfg.SinkAddress, j.SinkAddress()):
	default:
		return &apiError{http.StatusBadRequest, codeInvalidParam,
			fmt.Sprintf("sink_address %q matches neither the job's source nor its target address", cfg.SinkAddress)}
	}
	return nil
}

// sameAddresses compares comma-separated address lists as sets.
func sameAddresses(a, b string) bool {
	set := func(s string) []string {
		var out []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	x, y := set(a), set(b)
	return len(x) > 0 && slices.Equal(x, y)
}

// settle moves a created job to RUNNING once the create delay has passed on
// the clock, and returns a copy to show. The caller holds s.mu.
func (s *Simulator) settle(j *jobState) eg.Job {
	if j.Status == "CREATING" {
		if ready := j.created.Add(s.createDelay); !s.now().Before(ready) {
			j.Status, j.UpdatedTime = "RUNNING", timestamp(ready)
		}
	}
	return j.Job
}

func setSource(c *eg.SourceConfig, kind, projectID, address string) {
	switch kind {
	case eg.TypeRocketMQ:
		c.RocketMQ = &eg.RocketMQParams{ConfigType: "CLOUD", ProjectID: projectID, Address: address}
	case eg.TypeDCS:
		c.DCS = &eg.DCSParams{ConfigType: "CLOUD", ProjectID: projectID, Address: address}
	default:
		c.Kafka = &eg.KafkaParams{ConfigType: "CLOUD", ProjectID: projectID, Address: address}
	}
}

func setSink(c *eg.SinkConfig, kind, projectID, address string) {
	var src eg.SourceConfig
	setSource(&src, kind, projectID, address)
	c.Kafka, c.RocketMQ, c.DCS = src.Kafka, src.RocketMQ, src.DCS
}

func sourceType(c *eg.SourceConfig) string {
	switch {
	case c.Kafka != nil:
		return eg.TypeKafka
	case c.RocketMQ != nil:
		return eg.TypeRocketMQ
	}
	return eg.TypeDCS
}

func sinkType(c *eg.SinkConfig) string {
	return sourceType(&eg.SourceConfig{Kafka: c.Kafka, RocketMQ: c.RocketMQ, DCS: c.DCS})
}

// Job reports a job's state as a test would check it.
func (s *Simulator) Job(id string) (Job, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return Job{}, false
	}
	v := s.settle(j)
	return Job{ID: v.ID, Name: v.Name, Status: v.Status, SourceAddress: v.SourceAddress(), SinkAddress: v.SinkAddress(),
		SourceType: v.SourceType, SinkType: v.SinkType}, true
}

// Stream reports a stream's state as a test would check it.
func (s *Simulator) Stream(id string) (Stream, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.streams[id]
	if !ok {
		return Stream{}, false
	}
	return Stream{ID: st.ID, Name: st.Name, Status: st.Status}, true
}
