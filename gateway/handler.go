package gateway

import "net/http"

// handlerFunc is an HTTP handler that returns its error instead of
// writing it. Every handler of the API has this shape; s.handle adapts it
// to http.Handler, so that the domain-code → status map in errors.go is the
// only place an error becomes a response.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts h: a non-nil error is answered with the JSON error
// envelope. A handler that has already written its response returns nil.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}
