package egsim

import "net/http"

// routes lists every path the simulator serves, as the real service names them.
func (s *Simulator) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("POST /v3/auth/tokens", s.issueToken)
	m.HandleFunc("POST /v1/{project}/eventstreamings/operate/{id}", s.operateStream)
	m.HandleFunc("GET /v1/{project}/eventstreamings", s.listStreams)
	m.HandleFunc("GET /v1/{project}/eventstreamings/{id}", s.showStream)
	m.HandleFunc("GET /v1/{project}/eventrouter/jobs", s.listJobs)
	m.HandleFunc("POST /v1/{project}/eventrouter/jobs", s.createJob)
	m.HandleFunc("GET /v1/{project}/eventrouter/jobs/{id}", s.showJob)
	m.HandleFunc("POST /v1/{project}/eventrouter/jobs/{id}/action", s.actOnJob)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fail(w, http.StatusNotFound, codeNotFound, "no such API: "+r.Method+" "+r.URL.Path)
	})
	return m
}
