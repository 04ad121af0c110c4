// Package picasso is the vocabulary of the Picasso gateway: the tenancy
// model (apps and routes owned by OpenStack projects), the errors every
// layer speaks, and the interfaces that the storage, identity and backend
// packages implement. It imports nothing of ours and does no I/O, so every
// other package can depend on it and on nothing else of ours.
package picasso

import (
	"slices"
	"time"
)

// App is a project's application: a named group of routes. Name is what the
// project chose and is unique within the project; BackendName is the name
// the FaaS runtime knows it by, unique across all projects (see BackendName).
type App struct {
	ID          string            `db:"id"`
	ProjectID   string            `db:"project_id"`
	Name        string            `db:"name"`
	BackendName string            `db:"backend_name"`
	Description string            `db:"description"`
	Config      map[string]string `db:"-"`
	CreatedAt   time.Time         `db:"created_at"`
	UpdatedAt   time.Time         `db:"updated_at"`
}

// Route types, as IronFunctions names them. Backends only ever hold sync
// routes: Picasso makes a route async with its own durable queue, whose
// workers call the backend synchronously (see CallQueue).
const (
	RouteSync  = "sync"
	RouteAsync = "async"
)

// Route formats: "default" runs a fresh process per call (stdin/stdout),
// "http" is IronFunctions' hot function format.
const (
	FormatDefault = "default"
	FormatHTTP    = "http"
)

// Defaults applied when a route is created without the field, the same
// values IronFunctions and python-picassoclient use.
const (
	DefaultMemory         = 128
	DefaultTimeout        = 30
	DefaultMaxConcurrency = 1
)

// Route is one function of an app, addressed by its path (which may have
// several segments, e.g. "/a/b/c").
type Route struct {
	AppID    string `db:"app_id"`
	Path     string `db:"path"`
	Type     string `db:"type"`
	Image    string `db:"image"`
	IsPublic bool   `db:"is_public"`
	// ForwardToken passes the caller's X-Auth-Token on to the function on
	// private calls, for functions that call OpenStack APIs on the
	// caller's behalf. Off by default: functions never see tokens.
	ForwardToken   bool                `db:"forward_token"`
	Memory         int                 `db:"memory"`
	Timeout        int                 `db:"timeout"`
	MaxConcurrency int                 `db:"max_concurrency"`
	Format         string              `db:"format"`
	Config         map[string]string   `db:"-"`
	Headers        map[string][]string `db:"-"`
	// CallbackURL receives the result of every async call of the route.
	CallbackURL string `db:"callback_url"`
	// RecordSync records sync calls as calls too (off: only async calls
	// are recorded).
	RecordSync bool `db:"record_sync"`
	// MaxAttempts bounds the attempts of an async call; 0 selects the
	// operator's default.
	MaxAttempts int       `db:"max_attempts"`
	CreatedAt   time.Time `db:"created_at"`
	UpdatedAt   time.Time `db:"updated_at"`
}

// TimeoutDuration is the route's timeout as a duration.
func (r *Route) TimeoutDuration() time.Duration {
	return time.Duration(r.Timeout) * time.Second
}

// Page selects one page of a list: at most Limit items whose key sorts
// after Marker (the name of an app, the path of a route).
type Page struct {
	Limit  int
	Marker string
}

// Page sizes of list endpoints.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Identity is the verified caller of a request, as Keystone described the
// token (or as the development mode fakes it).
type Identity struct {
	UserID          string
	UserName        string
	UserDomainID    string
	ProjectID       string
	ProjectName     string
	ProjectDomainID string
	// Roles holds role names, implied roles included, as Keystone lists them.
	Roles           []string
	ExpiresAt       time.Time
	Methods         []string
	AppCredentialID string
	TrustID         string
}

// HasRole reports whether the identity holds the named role.
func (id *Identity) HasRole(role string) bool {
	return slices.Contains(id.Roles, role)
}

// Action is what a request wants to do; the policy decides which roles may.
type Action string

const (
	ActionRead   Action = "read"   // GET of apps, routes, webhooks
	ActionWrite  Action = "write"  // create, update, delete
	ActionInvoke Action = "invoke" // run a function through a private URL
)
