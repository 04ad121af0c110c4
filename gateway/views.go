package gateway

import (
	"net/http"
	"time"

	"github.com/picasso-faas/picasso"
)

// timeFormat is RFC 3339 in UTC with microseconds, the store's precision.
const timeFormat = "2006-01-02T15:04:05.000000Z07:00"

type appView struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	BackendName string            `json:"backend_name"`
	ProjectID   string            `json:"project_id"`
	Description string            `json:"description"`
	Config      map[string]string `json:"config"`
	CreatedAt   string            `json:"created_at"`
	UpdatedAt   string            `json:"updated_at"`
}

func newAppView(a *picasso.App) appView {
	return appView{
		ID:          a.ID,
		Name:        a.Name,
		BackendName: a.BackendName,
		ProjectID:   a.ProjectID,
		Description: a.Description,
		Config:      nonNil(a.Config),
		CreatedAt:   formatTime(a.CreatedAt),
		UpdatedAt:   formatTime(a.UpdatedAt),
	}
}

type routeView struct {
	Path           string              `json:"path"`
	Type           string              `json:"type"`
	Image          string              `json:"image"`
	IsPublic       bool                `json:"is_public"`
	ForwardToken   bool                `json:"forward_token"`
	Memory         int                 `json:"memory"`
	Timeout        int                 `json:"timeout"`
	MaxConcurrency int                 `json:"max_concurrency"`
	Config         map[string]string   `json:"config"`
	Headers        map[string][]string `json:"headers"`
	Format         string              `json:"format"`
	CallbackURL    string              `json:"callback_url"`
	RecordSync     bool                `json:"record_sync"`
	MaxAttempts    int                 `json:"max_attempts"`
	CreatedAt      string              `json:"created_at"`
	UpdatedAt      string              `json:"updated_at"`
	PublicURL      *string             `json:"public_url"`
	PrivateURL     string              `json:"private_url"`
}

func (s *Server) newRouteView(r *http.Request, app *picasso.App, rt *picasso.Route) routeView {
	base := s.functionBaseURL(r)
	v := routeView{
		Path:           rt.Path,
		Type:           rt.Type,
		Image:          rt.Image,
		IsPublic:       rt.IsPublic,
		ForwardToken:   rt.ForwardToken,
		Memory:         rt.Memory,
		Timeout:        rt.Timeout,
		MaxConcurrency: rt.MaxConcurrency,
		Config:         nonNil(rt.Config),
		Headers:        rt.Headers,
		Format:         rt.Format,
		CallbackURL:    rt.CallbackURL,
		RecordSync:     rt.RecordSync,
		MaxAttempts:    rt.MaxAttempts,
		CreatedAt:      formatTime(rt.CreatedAt),
		UpdatedAt:      formatTime(rt.UpdatedAt),
		PrivateURL:     base + "/r/" + app.ProjectID + "/" + app.Name + rt.Path,
	}
	if v.Headers == nil {
		v.Headers = map[string][]string{}
	}
	if rt.IsPublic {
		public := base + "/r/" + app.BackendName + rt.Path
		v.PublicURL = &public
	}
	return v
}

// baseURL is the configured public URL, or the one the client used.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// viewsOf returns the view of each item: an empty list, never null, when
// there are none.
func viewsOf[T, V any](items []T, view func(T) V) []V {
	views := make([]V, 0, len(items))
	for _, item := range items {
		views = append(views, view(item))
	}
	return views
}
