package ironfunctions

import (
	"errors"

	"github.com/picasso-faas/picasso"
)

type appResult struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
}

type appEnvelope struct {
	App *appResult `json:"app"`
}

type appsEnvelope struct {
	Apps []appResult `json:"apps"`
}

// routeResult has no jwt_key field on purpose: IronFunctions returns the
// route's JWT secret in clear text, and not decoding it means it can never
// reach Picasso's users.
type routeResult struct {
	AppName        string              `json:"app_name"`
	Path           string              `json:"path"`
	Image          string              `json:"image"`
	Memory         int                 `json:"memory"`
	Type           string              `json:"type"`
	Format         string              `json:"format"`
	MaxConcurrency int                 `json:"max_concurrency"`
	Timeout        int                 `json:"timeout"`
	Headers        map[string][]string `json:"headers"`
	Config         map[string]string   `json:"config"`
}

type routeEnvelope struct {
	Route *routeResult `json:"route"`
}

type routesEnvelope struct {
	Routes []routeResult `json:"routes"`
}

type callIDResult struct {
	CallID string `json:"call_id"`
}

var errMissingObject = errors.New("ironfunctions: response lacks the expected object")

func (r *appResult) toApp() *picasso.App {
	return &picasso.App{Name: r.Name, BackendName: r.Name, Config: nonNil(r.Config)}
}

func (r *routeResult) toRoute(appID string) *picasso.Route {
	headers := r.Headers
	if headers == nil {
		headers = map[string][]string{}
	}
	return &picasso.Route{
		AppID:          appID,
		Path:           r.Path,
		Type:           r.Type,
		Image:          r.Image,
		Memory:         r.Memory,
		Timeout:        r.Timeout,
		MaxConcurrency: r.MaxConcurrency,
		Format:         r.Format,
		Config:         nonNil(r.Config),
		Headers:        headers,
	}
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
