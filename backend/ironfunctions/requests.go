package ironfunctions

type appRequest struct {
	App appBody `json:"app"`
}

type appBody struct {
	Name   string            `json:"name,omitempty"`
	Config map[string]string `json:"config,omitempty"`
}

type routeRequest struct {
	Route routeBody `json:"route"`
}

// routeBody serves both create and PATCH: IronFunctions ignores zero
// values on PATCH, so omitting them changes nothing. jwt_key is never
// sent: Picasso does not use route JWTs.
type routeBody struct {
	Path           string              `json:"path,omitempty"`
	Image          string              `json:"image,omitempty"`
	Memory         int                 `json:"memory,omitempty"`
	Type           string              `json:"type,omitempty"`
	Format         string              `json:"format,omitempty"`
	MaxConcurrency int                 `json:"max_concurrency,omitempty"`
	Timeout        int                 `json:"timeout,omitempty"`
	Headers        map[string][]string `json:"headers,omitempty"`
	Config         map[string]string   `json:"config,omitempty"`
}
