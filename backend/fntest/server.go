// Package fntest is an in-process fake of an Fn v2 server (fnproject/fn
// 0.3.753) as docs/fn.md describes it: the /v2 control plane
// for apps, fns and HTTP triggers with Fn's ids, bodies, errors and paging,
// and /t/{app}{source} invocations of a few built-in "images" that stand in
// for containers. Tests of the Fn driver run against it instead of Docker.
package fntest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Images the fake knows how to run; any other image runs Echo.
const (
	// Echo answers 200 with a JSON Echo of the request as the function saw it.
	// A "status" query parameter makes it answer that status instead.
	ImageEcho = "echo"
	// Sleep runs until its fn's timeout passes (one TimeUnit per second of
	// timeout) or the caller gives up, then fails with 504 "Timed out".
	ImageSleep = "sleep"
	// Fail fails every call with 502 "function failed".
	ImageFail = "fail"
)

// Failure makes the fake misbehave on every request until reset.
type Failure int

const (
	// FailureNone serves normally.
	FailureNone Failure = iota
	// FailureDown answers every request 503 "Timed out - server too busy".
	FailureDown
	// FailureReset closes every connection without answering.
	FailureReset
)

// Server is a running fake Fn server. It is safe for concurrent use.
type Server struct {
	http *httptest.Server

	mu          sync.Mutex
	apps        map[string]*app // by id
	fns         map[string]*fn
	triggers    map[string]*trigger
	ids         idSource
	failure     Failure
	timeUnit    time.Duration
	requests    int
	invocations []Invocation
}

// New starts a fake Fn server on a free local port. Close it when done.
func New() *Server {
	s := &Server{
		apps:     map[string]*app{},
		fns:      map[string]*fn{},
		triggers: map[string]*trigger{},
		timeUnit: time.Second,
	}
	s.http = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// URL is the server's base URL, e.g. http://127.0.0.1:41234 (no /v2).
func (s *Server) URL() string { return s.http.URL }

// Close shuts the server down; later requests are refused.
func (s *Server) Close() { s.http.Close() }

// SetFailure makes every following request fail as f says (FailureNone
// restores normal service).
func (s *Server) SetFailure(f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failure = f
}

// SetTimeUnit sets how long one second of an fn's timeout lasts for the
// sleep image, so tests can hit Fn's own timeout quickly. Default 1 s.
func (s *Server) SetTimeUnit(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timeUnit = d
}

// Requests is the number of requests the server received, of any kind.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Invocations returns the function calls made so far, oldest first.
func (s *Server) Invocations() []Invocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Invocation(nil), s.invocations...)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	failure := s.failure
	s.mu.Unlock()

	switch failure {
	case FailureDown:
		writeError(w, http.StatusServiceUnavailable, "Timed out - server too busy")
		return
	case FailureReset:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	s.route(w, r)
}
