package gateway

import (
	"bytes"
	"io"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/picasso-faas/picasso"
)

// errWebhookNotFound is the one answer for every webhook URL that does not
// run: unknown, malformed, disabled, or whose route is gone. Being
// identical, it tells a prober nothing.
var errWebhookNotFound = picasso.Errorf(picasso.ENOTFOUND, "Webhook not found")

// handleInvokeWebhook serves POST /webhooks/{token}: the token is the
// credential, so the route runs whatever its visibility, with no identity.
// The access log and metrics name the route template, never the token.
func (s *Server) handleInvokeWebhook() http.Handler {
	seen := newReplayCache(maxRememberedSignatures)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := mux.Vars(r)["token"]
		if !isWebhookToken(token) {
			s.writeError(w, r, errWebhookNotFound)
			return
		}
		wh, app, err := s.store.GetWebhookByToken(r.Context(), picasso.HashWebhookToken(token))
		if picasso.IsCode(err, picasso.ENOTFOUND) || err == nil && !wh.Enabled {
			err = errWebhookNotFound
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if wh.Signed() {
			body, err := s.readSignedBody(w, r, wh, seen)
			if err != nil {
				s.refuseWebhookCall(w, r, wh, err)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		entry, err := s.routes.publicRoute(r.Context(), app.BackendName, wh.RoutePath)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if entry.route == nil {
			s.writeError(w, r, errWebhookNotFound)
			return
		}
		s.call(w, withTrigger(r, picasso.TriggerWebhook), entry, nil, false)
	})
}

// refuseWebhookCall answers a call whose signature failed. Its 401 carries
// no Keystone challenge: no token would help. The log names the webhook
// by its public id, which is no credential.
func (s *Server) refuseWebhookCall(w http.ResponseWriter, r *http.Request, wh *picasso.Webhook, err error) {
	if !picasso.IsCode(err, picasso.EUNAUTHENTICATED) {
		s.writeError(w, r, err)
		return
	}
	s.logger.WarnContext(r.Context(), "webhook call refused", "webhook_id", wh.ID,
		"reason", picasso.ErrorMessage(err), "request_id", requestIDFrom(r.Context()))
	writeJSON(w, http.StatusUnauthorized, errorBody{Error: errorDetail{
		Message:   picasso.ErrorMessage(err),
		RequestID: requestIDFrom(r.Context()),
	}})
}
