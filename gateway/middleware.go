package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/picasso-faas/picasso"
)

type contextKey int

const (
	accessInfoKey contextKey = iota
	identityKey
)

// identityFrom returns the verified caller of a request that passed
// authorized, for handlers whose answer depends on who asks (triggers'
// administrator rights).
func identityFrom(ctx context.Context) *picasso.Identity {
	id, _ := ctx.Value(identityKey).(*picasso.Identity)
	return id
}

// withRequestID adopts the caller's request id when it has the OpenStack
// form req-<uuid> (anything else could be used to forge log lines) and
// generates one otherwise; the id is returned on every response.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(picasso.RequestIDHeader)
		if !ValidRequestID(id) {
			id = NewRequestID()
		}
		w.Header().Set(picasso.RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(picasso.WithRequestID(r.Context(), id)))
	})
}

// NewRequestID returns a fresh OpenStack request id.
func NewRequestID() string { return "req-" + uuid.NewString() }

// ValidRequestID reports whether id is "req-" followed by a lower-case
// canonical UUID.
func ValidRequestID(id string) bool {
	const prefix = "req-"
	if len(id) != len(prefix)+36 || id[:len(prefix)] != prefix {
		return false
	}
	for i, c := range []byte(id[len(prefix):]) {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// recoverPanics turns a handler panic into a 500 JSON error instead of a
// reset connection. http.ErrAbortHandler keeps its meaning: abort.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.logger.ErrorContext(r.Context(), "panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.writeError(w, r, picasso.Errorf(picasso.EINTERNAL, "Internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// observe writes the access log line and the HTTP metrics of a request
// the router serves, labelled by the route's name (its template without
// patterns, set in newRouter), never by the raw path.
func (s *Server) observe(next http.Handler) http.Handler {
	return s.observed(next, func(r *http.Request) string {
		if route := mux.CurrentRoute(r); route != nil {
			return route.GetName()
		}
		return "unmatched"
	})
}

// observeAs is observe for a handler served without the router, under
// the route name given.
func (s *Server) observeAs(name string, next http.Handler) http.Handler {
	return s.observed(next, func(*http.Request) string { return name })
}

func (s *Server) observed(next http.Handler, routeName func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		obs := &observation{recorder: recorder{ResponseWriter: w}, info: accessInfo{projectID: mux.Vars(r)["project_id"]}}
		rec, info := &obs.recorder, &obs.info
		// Deferred, so that a response aborted on purpose is logged too.
		defer func() {
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			template := routeName(r)
			elapsed := time.Since(start)
			s.metrics.observeRequest(template, r.Method, rec.status, elapsed)
			if !s.logger.Enabled(r.Context(), slog.LevelInfo) {
				return
			}
			s.logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method),
				slog.String("route", template),
				slog.Int("status", rec.status),
				slog.Int64("bytes", rec.bytes),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
				slog.String("project_id", info.projectID),
				slog.String("request_id", picasso.RequestIDFrom(r.Context())),
			)
		}()
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), accessInfoKey, info)))
	})
}

// observation is what observed keeps of a request, in one allocation.
type observation struct {
	recorder recorder
	info     accessInfo
}

// accessInfo carries what handlers learn for the access line, such as the
// project of a private call, whose URL has no project_id variable.
type accessInfo struct {
	projectID string
}

func setAccessProject(ctx context.Context, projectID string) {
	if info, ok := ctx.Value(accessInfoKey).(*accessInfo); ok {
		info.projectID = projectID
	}
}

// recorder remembers the status and size of a response. It forwards
// Flush and exposes the original writer, so streaming keeps working.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *recorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("hijacking not supported")
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// authorized authenticates the caller's token, checks the project id of
// the URL and asks the policy whether the caller may perform action on it.
func (s *Server) authorized(action picasso.Action, next http.Handler) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		id, err := s.authorize(r, mux.Vars(r)["project_id"], action)
		if err != nil {
			return err
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey, id)))
		return nil
	})
}

func (s *Server) authorize(r *http.Request, projectID string, action picasso.Action) (*picasso.Identity, error) {
	id, err := s.auth.Authenticate(r.Context(), r.Header.Get("X-Auth-Token"))
	s.metrics.observeAuth(err)
	if err != nil {
		return nil, err
	}
	if err := picasso.ValidateProjectID(projectID); err != nil {
		return nil, err
	}
	if err := s.policy.Authorize(id, projectID, action); err != nil {
		return nil, err
	}
	return id, nil
}
