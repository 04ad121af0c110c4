package gateway

import (
	"net/http"
	"time"

	"github.com/picasso-faas/picasso"
)

// backendOp runs one management call to the backend and records it.
func (s *Server) backendOp(operation string, call func() error) error {
	start := time.Now()
	err := call()
	s.metrics.observeBackend(operation, err, time.Since(start))
	return err
}

// undo reports the outcome of a compensating step. When it fails the store
// and the backend disagree until `picasso-api reconcile` repairs them, so
// the log says exactly that.
func (s *Server) undo(r *http.Request, step string, err error) {
	if err != nil {
		s.logger.ErrorContext(r.Context(), "compensation failed: store and backend disagree; run picasso-api reconcile",
			"step", step, "error", err, "request_id", picasso.RequestIDFrom(r.Context()))
	}
}
