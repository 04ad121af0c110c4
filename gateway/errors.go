package gateway

import (
	"encoding/json"
	"net/http"

	"github.com/picasso-faas/picasso"
)

// statusOf maps the domain's error codes onto HTTP statuses; it is the only
// place that does.
var statusOf = map[picasso.Code]int{
	picasso.EINVALID:         http.StatusBadRequest,
	picasso.EUNAUTHENTICATED: http.StatusUnauthorized,
	picasso.EBADSIGNATURE:    http.StatusUnauthorized,
	picasso.EFORBIDDEN:       http.StatusForbidden,
	picasso.EQUOTA:           http.StatusForbidden,
	picasso.ENOTFOUND:        http.StatusNotFound,
	picasso.EBADMETHOD:       http.StatusMethodNotAllowed,
	picasso.ECONFLICT:        http.StatusConflict,
	picasso.ETOOLARGE:        http.StatusRequestEntityTooLarge,
	picasso.EBADMEDIA:        http.StatusUnsupportedMediaType,
	picasso.ETOOMANY:         http.StatusTooManyRequests,
	picasso.EBADGATEWAY:      http.StatusBadGateway,
	picasso.EUNAVAILABLE:     http.StatusServiceUnavailable,
	picasso.ETIMEOUT:         http.StatusGatewayTimeout,
	picasso.EINTERNAL:        http.StatusInternalServerError,
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
	// Quota names the limit a refused request ran into (limits.go).
	Quota *quotaView `json:"quota,omitempty"`
}

// writeError answers with the JSON error envelope. Errors without a domain
// code are internal: they are logged in full and shown as a generic text.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := picasso.ErrorCode(err)
	status := statusOf[code]
	switch status {
	case http.StatusInternalServerError:
		s.logger.ErrorContext(r.Context(), "internal error", "error", err)
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		s.logger.WarnContext(r.Context(), "dependency failure", "status", status, "error", err)
	}
	h := w.Header()
	// Only a missing or bad token earns the Keystone challenge: no token
	// would help a webhook call whose signature failed.
	if code == picasso.EUNAUTHENTICATED && s.cfg.KeystoneEndpoint != "" {
		h.Set("WWW-Authenticate", `Keystone uri="`+s.cfg.KeystoneEndpoint+`"`)
	}
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		h.Set("Retry-After", "1")
	}
	detail := errorDetail{Message: picasso.ErrorMessage(err), RequestID: picasso.RequestIDFrom(r.Context())}
	detail.Quota = s.limitRefusal(h, err)
	writeJSON(w, status, errorBody{Error: detail})
}

// writeJSON writes v with the status. Encoding errors cannot be reported
// to the client once the header is out, so they are dropped.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"message":"Internal error"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}
