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
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		token := mux.Vars(r)["token"]
		if !isWebhookToken(token) {
			return errWebhookNotFound
		}
		wh, app, err := s.store.GetWebhookByToken(r.Context(), picasso.HashWebhookToken(token))
		if picasso.IsCode(err, picasso.ENOTFOUND) || err == nil && !wh.Enabled {
			err = errWebhookNotFound
		}
		if err != nil {
			return err
		}
		if wh.Signed() {
			body, err := s.readSignedBody(w, r, wh)
			if err != nil {
				return s.refuseWebhookCall(r, wh, err)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		entry, err := s.routes.publicRoute(r.Context(), app.BackendName, wh.RoutePath)
		if err != nil {
			return err
		}
		if entry.route == nil {
			return errWebhookNotFound
		}
		return s.call(w, withTrigger(r, picasso.TriggerWebhook), entry, nil, false)
	})
}

// refuseWebhookCall logs a call whose signature failed, naming the
// webhook by its public id, which is no credential, and returns err.
func (s *Server) refuseWebhookCall(r *http.Request, wh *picasso.Webhook, err error) error {
	if picasso.IsCode(err, picasso.EBADSIGNATURE) {
		s.logger.WarnContext(r.Context(), "webhook call refused", "webhook_id", wh.ID,
			"reason", picasso.ErrorMessage(err), "request_id", picasso.RequestIDFrom(r.Context()))
	}
	return err
}
