// Package ironfunctionstest is an in-process fake of an IronFunctions
// 0.2.72 server, faithful to docs/ironfunctions.md: the same status
// codes, bodies and quirks, with functions that echo what they received
// instead of running containers. Tests of every package use it; its own
// tests replay transcripts of the real server so it cannot drift.
//
// Images with special names behave specially: "sleep" outlasts the route
// timeout (504 "Timed out", or hangs until the client leaves after
// SetHang(true)), "fail" fails (500 "exit code 1"). Every other image echoes.
//
// Not reproduced (docs/ironfunctions.md, "Not used by Picasso"): route
// JWTs, the service JWT, /tasks and the background run of async calls
// (they are recorded, never run), hot functions.
package ironfunctionstest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Special images.
const (
	ImageSleep = "sleep"
	ImageFail  = "fail"
)

// Server is one fake IronFunctions with its state in memory. Use one per
// test; there is no Reset.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	apps     map[string]*app
	routes   map[string]map[string]*route // app name → stored path → route
	calls    []Invocation
	requests []string
	failLeft int
	failCode int
	down     bool
	hang     bool
	latency  time.Duration
}

// Invocation is one /r/ request that reached a function.
type Invocation struct {
	App    string
	Route  string // the stored route path
	Method string
	Query  string
	Header http.Header
	Body   []byte
	Async  bool
	CallID string
}

// New starts a fake server; Close it when done.
func New() *Server {
	s := &Server{
		apps:   map[string]*app{},
		routes: map[string]map[string]*route{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// URL is the server's base URL, without /v1.
func (s *Server) URL() string { return s.srv.URL }

// Close shuts the server down, cutting open connections.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// FailNext makes the next n requests, whatever they are, answer status
// with an IronFunctions error body.
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLeft, s.failCode = n, status
}

// SetDown makes every request end with its connection closed and no
// response, as a crashed or overloaded server looks to a client.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// SetHang makes "sleep" functions hang until the client gives up instead
// of timing out, as IronFunctions does when Docker fails under it.
func (s *Server) SetHang(hang bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hang = hang
}

// SetLatency delays every response by d (cut short if the client leaves).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Calls returns the recorded invocations, oldest first.
func (s *Server) Calls() []Invocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Invocation(nil), s.calls...)
}

// Requests returns every request received as "METHOD /path?query",
// oldest first.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// HasApp reports whether the server holds the app.
func (s *Server) HasApp(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.apps[name]
	return ok
}

// RouteHeaders returns the stored headers of a route, nil if absent.
func (s *Server) RouteHeaders(appName, routePath string) map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.routes[appName][routePath]
	if !ok {
		return nil
	}
	return r.clone().Headers
}
