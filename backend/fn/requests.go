package fn

import (
	"encoding/json"
	"strings"

	"github.com/picasso-faas/picasso"
)

// Annotations keep the route fields Fn has no place for. Each header gets
// its own key because Fn caps an annotation value at 512 bytes.
const (
	routeAnnotation        = "picasso/route"
	headerAnnotationPrefix = "picasso/header/"
)

// routeExtra is the value of the picasso/route annotation.
type routeExtra struct {
	Type           string `json:"type"`
	Format         string `json:"format"`
	MaxConcurrency int    `json:"max_concurrency"`
	IsPublic       bool   `json:"is_public"`
}

type createAppRequest struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config,omitempty"`
}

// updateAppRequest is a PUT body: Fn merges it into the stored app.
type updateAppRequest struct {
	Config map[string]string `json:"config"`
}

type fnRequest struct {
	Name        string                     `json:"name,omitempty"`
	AppID       string                     `json:"app_id,omitempty"`
	Image       string                     `json:"image"`
	Memory      int                        `json:"memory"`
	Timeout     int                        `json:"timeout"`
	Config      map[string]string          `json:"config"`
	Annotations map[string]json.RawMessage `json:"annotations"`
}

type triggerRequest struct {
	Name   string `json:"name"`
	AppID  string `json:"app_id"`
	FnID   string `json:"fn_id"`
	Type   string `json:"type"`
	Source string `json:"source"`
}

// newFnRequest is the POST body creating route's fn in the app.
func newFnRequest(appID string, route *picasso.Route) *fnRequest {
	return &fnRequest{
		Name:        fnName(route.Path),
		AppID:       appID,
		Image:       route.Image,
		Memory:      route.Memory,
		Timeout:     route.Timeout,
		Config:      route.Config,
		Annotations: routeAnnotations(route),
	}
}

// updateFnRequest is the PUT body turning current into route: Fn merges
// maps, so keys route no longer has are sent as "" to delete them.
func updateFnRequest(current *fnObject, route *picasso.Route) *fnRequest {
	annotations := routeAnnotations(route)
	for key := range current.Annotations {
		if _, keep := annotations[key]; !keep && strings.HasPrefix(key, headerAnnotationPrefix) {
			annotations[key] = json.RawMessage(`""`)
		}
	}
	return &fnRequest{
		Image:       route.Image,
		Memory:      route.Memory,
		Timeout:     route.Timeout,
		Config:      mergePatch(current.Config, route.Config),
		Annotations: annotations,
	}
}

func routeAnnotations(route *picasso.Route) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(route.Headers)+1)
	out[routeAnnotation] = mustJSON(routeExtra{
		Type:           picasso.RouteSync, // Picasso queues async calls itself
		Format:         route.Format,
		MaxConcurrency: route.MaxConcurrency,
		IsPublic:       route.IsPublic,
	})
	for name, values := range route.Headers {
		out[headerAnnotationPrefix+name] = mustJSON(values)
	}
	return out
}

// mergePatch returns the PUT config that turns current into desired.
func mergePatch(current, desired map[string]string) map[string]string {
	patch := make(map[string]string, len(current)+len(desired))
	for k := range current {
		patch[k] = ""
	}
	for k, v := range desired {
		patch[k] = v
	}
	return patch
}

// mustJSON marshals values that cannot fail to marshal.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
