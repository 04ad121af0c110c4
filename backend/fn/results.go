package fn

import (
	"encoding/json"
	"strings"

	"github.com/picasso-faas/picasso"
)

// The objects Fn returns, reduced to the fields the driver reads.

type appObject struct {
	ID     string            `json:"id"`
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
}

type fnObject struct {
	ID          string                     `json:"id"`
	Name        string                     `json:"name"`
	AppID       string                     `json:"app_id"`
	Image       string                     `json:"image"`
	Memory      int                        `json:"memory"`
	Timeout     int                        `json:"timeout"`
	Config      map[string]string          `json:"config"`
	Annotations map[string]json.RawMessage `json:"annotations"`
}

type triggerObject struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	FnID   string `json:"fn_id"`
	Type   string `json:"type"`
	Source string `json:"source"`
}

// page is one answer of a list endpoint.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func (a *appObject) toApp() *picasso.App {
	return &picasso.App{Name: a.Name, BackendName: a.Name, Config: nonNil(a.Config)}
}

// toRoute rebuilds the route an fn and its trigger carry: the trigger has
// the path, the fn the settings and, in annotations, what Fn has no field for.
func (f *fnObject) toRoute(appID string, t *triggerObject) *picasso.Route {
	r := &picasso.Route{
		AppID:   appID,
		Path:    t.Source,
		Image:   f.Image,
		Memory:  f.Memory,
		Timeout: f.Timeout,
		Config:  nonNil(f.Config),
		Headers: map[string][]string{},
	}
	var extra routeExtra
	if raw, ok := f.Annotations[routeAnnotation]; ok && json.Unmarshal(raw, &extra) == nil {
		r.Type, r.Format, r.MaxConcurrency, r.IsPublic = extra.Type, extra.Format, extra.MaxConcurrency, extra.IsPublic
	}
	for key, raw := range f.Annotations {
		name, ok := strings.CutPrefix(key, headerAnnotationPrefix)
		if !ok {
			continue
		}
		var values []string
		if json.Unmarshal(raw, &values) == nil {
			r.Headers[name] = values
		}
	}
	return r
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
