package gateway

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/picasso-faas/picasso"
)

// webhookTokenBytes is the randomness of a webhook URL token and of an
// HMAC secret: 256 bits, far beyond guessing.
const webhookTokenBytes = 32

// webhookTokenLength is the length of a token in unpadded base64url.
var webhookTokenLength = base64.RawURLEncoding.EncodedLen(webhookTokenBytes)

// newWebhookToken returns a fresh random credential. crypto/rand.Read
// never fails; it crashes the program rather than return weak bytes.
func newWebhookToken() string {
	b := make([]byte, webhookTokenBytes)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// isWebhookToken reports whether s has the shape newWebhookToken makes,
// so that malformed URLs cost no database query.
func isWebhookToken(s string) bool {
	if len(s) != webhookTokenLength {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

type createWebhookRequest struct {
	Webhook struct {
		Description *string `json:"description"`
		Enabled     *bool   `json:"enabled"`
		Signed      bool    `json:"signed"`
	} `json:"webhook"`
}

type updateWebhookRequest struct {
	Description *string `json:"description"`
	Enabled     *bool   `json:"enabled"`
}

type rotateWebhookRequest struct {
	Signed *bool `json:"signed"`
}

// webhookView shows a webhook. URL and Secret are filled only in the
// answers of create and rotate: the store keeps no token to show later.
type webhookView struct {
	ID          string `json:"id"`
	App         string `json:"app"`
	RoutePath   string `json:"route_path"`
	Description string `json:"description"`
	Enabled     bool   `json:"enabled"`
	Signed      bool   `json:"signed"`
	URL         string `json:"url,omitempty"`
	Secret      string `json:"secret,omitempty"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

func newWebhookView(app *picasso.App, wh *picasso.Webhook) webhookView {
	return webhookView{
		ID:          wh.ID,
		App:         app.Name,
		RoutePath:   wh.RoutePath,
		Description: wh.Description,
		Enabled:     wh.Enabled,
		Signed:      wh.Signed(),
		CreatedAt:   formatTime(wh.CreatedAt),
		UpdatedAt:   formatTime(wh.UpdatedAt),
	}
}

// withCredentials is the view of a webhook whose token (and secret) were
// just made: the one time the caller can learn them.
func (s *Server) withCredentials(r *http.Request, app *picasso.App, wh *picasso.Webhook, token string) webhookView {
	v := newWebhookView(app, wh)
	v.URL = s.functionBaseURL(r) + "/webhooks/" + token
	v.Secret = wh.Secret
	return v
}

type webhookResponse struct {
	Webhook webhookView `json:"webhook"`
	Message string      `json:"message"`
}

type webhooksResponse struct {
	Webhooks   []webhookView `json:"webhooks"`
	Message    string        `json:"message"`
	NextMarker string        `json:"next_marker,omitempty"`
}

// webhookOf returns the app and the webhook named by the URL.
func (s *Server) webhookOf(r *http.Request) (*picasso.App, *picasso.Webhook, error) {
	app, rt, err := s.routeOf(r)
	if err != nil {
		return nil, nil, err
	}
	wh, err := s.store.GetWebhook(r.Context(), app.ID, rt.Path, mux.Vars(r)["webhook_id"])
	if err != nil {
		return nil, nil, err
	}
	return app, wh, nil
}

func (s *Server) handleListWebhooks() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		page, err := pageOf(r)
		if err != nil {
			return err
		}
		app, rt, err := s.routeOf(r)
		if err != nil {
			return err
		}
		webhooks, err := s.store.ListWebhooks(r.Context(), app.ID, rt.Path, page)
		if err != nil {
			return err
		}
		resp := webhooksResponse{
			Webhooks: viewsOf(webhooks, func(wh *picasso.Webhook) webhookView { return newWebhookView(app, wh) }),
			Message:  "Successfully listed webhooks",
		}
		if len(webhooks) > 0 {
			resp.NextMarker = nextMarker(page, len(webhooks), webhooks[len(webhooks)-1].ID)
		}
		writeJSON(w, http.StatusOK, resp)
		return nil
	})
}

func (s *Server) handleCreateWebhook() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		var req createWebhookRequest
		if err := s.decodeOptionalBody(r, "createWebhook", &req); err != nil {
			return err
		}
		app, rt, err := s.routeOf(r)
		if err != nil {
			return err
		}
		wh := &picasso.Webhook{AppID: app.ID, RoutePath: rt.Path, Enabled: true}
		setIf(&wh.Description, req.Webhook.Description)
		setIf(&wh.Enabled, req.Webhook.Enabled)
		if err := wh.Validate(); err != nil {
			return err
		}
		token := issueCredentials(wh, req.Webhook.Signed)
		if err := s.store.CreateWebhook(r.Context(), wh); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, webhookResponse{
			Webhook: s.withCredentials(r, app, wh, token),
			Message: "Webhook successfully created",
		})
		return nil
	})
}

func (s *Server) handleGetWebhook() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		app, wh, err := s.webhookOf(r)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, webhookResponse{Webhook: newWebhookView(app, wh), Message: "Webhook successfully loaded"})
		return nil
	})
}

func (s *Server) handleUpdateWebhook() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		var req updateWebhookRequest
		if err := s.decodeBody(r, "updateWebhook", &req); err != nil {
			return err
		}
		app, wh, err := s.webhookOf(r)
		if err != nil {
			return err
		}
		setIf(&wh.Description, req.Description)
		setIf(&wh.Enabled, req.Enabled)
		if err := wh.Validate(); err != nil {
			return err
		}
		if err := s.store.UpdateWebhook(r.Context(), wh); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, webhookResponse{Webhook: newWebhookView(app, wh), Message: "Webhook successfully updated"})
		return nil
	})
}

// handleRotateWebhook replaces the token (and the secret of a signed
// webhook); the old URL stops working with the store write.
func (s *Server) handleRotateWebhook() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		var req rotateWebhookRequest
		if err := s.decodeOptionalBody(r, "rotateWebhook", &req); err != nil {
			return err
		}
		app, wh, err := s.webhookOf(r)
		if err != nil {
			return err
		}
		signed := wh.Signed()
		setIf(&signed, req.Signed)
		token := issueCredentials(wh, signed)
		if err := s.store.UpdateWebhook(r.Context(), wh); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, webhookResponse{
			Webhook: s.withCredentials(r, app, wh, token),
			Message: "Webhook successfully rotated",
		})
		return nil
	})
}

func (s *Server) handleDeleteWebhook() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		app, rt, err := s.routeOf(r)
		if err != nil {
			return err
		}
		if err := s.store.DeleteWebhook(r.Context(), app.ID, rt.Path, mux.Vars(r)["webhook_id"]); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, messageResponse{Message: "Webhook successfully deleted"})
		return nil
	})
}

// issueCredentials gives wh a new URL token, which it returns (the store
// keeps only its hash), and a new HMAC secret when signed.
func issueCredentials(wh *picasso.Webhook, signed bool) string {
	token := newWebhookToken()
	wh.TokenHash, wh.Secret = picasso.HashWebhookToken(token), ""
	if signed {
		wh.Secret = newWebhookToken()
	}
	return token
}
