package picasso

import (
	"context"
	"io"
	"net/http"
	"time"
)

// Store keeps Picasso's own state: which project owns which app, and every
// field of apps and routes (the backend holds a copy it runs from).
// Methods return *Error values with ENOTFOUND, ECONFLICT or EUNAVAILABLE.
type Store interface {
	QuotaStore

	// CreateApp inserts app; ECONFLICT when the project already has the
	// name or the backend name is taken.
	CreateApp(ctx context.Context, app *App) error
	GetApp(ctx context.Context, projectID, name string) (*App, error)
	GetAppByBackendName(ctx context.Context, backendName string) (*App, error)
	// ListApps returns one page of the project's apps ordered by name.
	ListApps(ctx context.Context, projectID string, page Page) ([]*App, error)
	// UpdateApp writes Description, Config and UpdatedAt of the app with app.ID.
	UpdateApp(ctx context.Context, app *App) error
	// DeleteApp removes the app; ECONFLICT while it still has routes.
	DeleteApp(ctx context.Context, appID string) error

	// CreateRoute inserts route; ECONFLICT when the app has the path already.
	CreateRoute(ctx context.Context, route *Route) error
	GetRoute(ctx context.Context, appID, path string) (*Route, error)
	// ListRoutes returns one page of the app's routes ordered by path.
	ListRoutes(ctx context.Context, appID string, page Page) ([]*Route, error)
	// UpdateRoute writes every field but AppID, Path, CodeVersion and
	// CreatedAt (CodeStore.PutCode moves CodeVersion).
	UpdateRoute(ctx context.Context, route *Route) error
	// DeleteRoute removes the route and, with it, every webhook of it.
	DeleteRoute(ctx context.Context, appID, path string) error

	// CreateWebhook inserts webhook, giving it an ID and timestamps;
	// ENOTFOUND when the route does not exist.
	CreateWebhook(ctx context.Context, webhook *Webhook) error
	// GetWebhook returns the route's webhook with that ID.
	GetWebhook(ctx context.Context, appID, path, id string) (*Webhook, error)
	// GetWebhookByToken returns the webhook whose TokenHash is tokenHash
	// and the app it belongs to, for calls through its URL.
	GetWebhookByToken(ctx context.Context, tokenHash string) (*Webhook, *App, error)
	// ListWebhooks returns one page of the route's webhooks ordered by ID.
	ListWebhooks(ctx context.Context, appID, path string, page Page) ([]*Webhook, error)
	// UpdateWebhook writes Description, Enabled, TokenHash, Secret and
	// UpdatedAt of the webhook with webhook.ID; ECONFLICT unless the row
	// still has webhook.UpdatedAt, i.e. nobody changed it since it was read.
	UpdateWebhook(ctx context.Context, webhook *Webhook) error
	DeleteWebhook(ctx context.Context, appID, path, id string) error
	// RememberSignature records a signed webhook call's signature until
	// expires; ECONFLICT when it is recorded already (a replay), whichever
	// replica recorded it.
	RememberSignature(ctx context.Context, key string, expires time.Time) error

	// LockApp holds a lock on the app with that backend name, shared by
	// every replica on the store, until unlock is called; a management
	// operation holds it from its first write to its last compensation.
	LockApp(ctx context.Context, backendName string) (unlock func(), err error)

	// Changes returns, ordered by id, up to limit entries of the change
	// feed with an id above after, and those whose ids are in also.
	// Every write of an app or a route appends one entry in its own
	// transaction; replicas tail the feed to drop exactly the cached
	// entries that went stale. Ids grow, but a transaction may commit a
	// smaller id after a larger one is visible, so readers keep the gaps
	// they saw in also for a while.
	Changes(ctx context.Context, after int64, also []int64, limit int) ([]Change, error)
	// LastChange returns the largest id of the feed, where a new reader starts.
	LastChange(ctx context.Context) (int64, error)
	Ping(ctx context.Context) error
	Close() error
}

// Change is one entry of the store's change feed: the app with that
// backend name changed (Path "") or its route at Path did.
type Change struct {
	ID          int64  `db:"id"`
	BackendName string `db:"backend_name"`
	Path        string `db:"path"`
}

// Backend is a FaaS runtime that Picasso forwards apps, routes and calls to.
// Apps are addressed by App.BackendName. Errors are *Error values:
// ENOTFOUND, ECONFLICT, EINVALID (with a clean message), EBADGATEWAY
// (unreachable, reset, garbage), ETIMEOUT, EUNAVAILABLE.
type Backend interface {
	CreateApp(ctx context.Context, app *App) error
	UpdateApp(ctx context.Context, app *App) error
	// DeleteApp removes the app; ENOTFOUND when the backend has no such app.
	DeleteApp(ctx context.Context, app *App) error
	CreateRoute(ctx context.Context, app *App, route *Route) error
	UpdateRoute(ctx context.Context, app *App, route *Route) error
	// DeleteRoute removes the route; deleting a missing route is not an error.
	DeleteRoute(ctx context.Context, app *App, path string) error
	// Invoke runs the route's function. The response body must be closed.
	Invoke(ctx context.Context, call *Call) (*CallResult, error)
	// Ping reports whether the runtime answers.
	Ping(ctx context.Context) error
}

// ConfigChecker is implemented by backends that refuse some app or route
// config: the gateway calls CheckConfig with the whole config an app or a
// route would have, before it writes anything, and answers the error
// (EINVALID, naming the key) to the caller.
type ConfigChecker interface {
	CheckConfig(config map[string]string) error
}

// BackendInventory is implemented by backends that can list what they
// hold, which the reconciler compares with the store.
type BackendInventory interface {
	// ListApps returns every backend app name the runtime holds.
	ListApps(ctx context.Context) ([]string, error)
	// GetApp returns the app (Name = backend name), ENOTFOUND if absent.
	GetApp(ctx context.Context, backendName string) (*App, error)
	// ListRoutes returns the routes of the app, ENOTFOUND if it is absent.
	ListRoutes(ctx context.Context, app *App) ([]*Route, error)
}

// Call is one function invocation: the route to run and the caller's HTTP
// request, already stripped of credentials and hop-by-hop headers.
type Call struct {
	App   *App
	Route *Route
	// Method, RawQuery, Header and Body are the caller's; Body streams.
	Method   string
	RawQuery string
	Header   http.Header
	Body     io.Reader
	// RequestID is the gateway's request id, passed on for correlation.
	RequestID string
	// Log, when set, receives the function's stderr where the backend
	// gives it (the local runtime does), bounded by the backend.
	Log io.Writer
}

// CallResult is the function's answer. Backends run every call
// synchronously: Picasso's own queue makes routes async (see CallQueue).
// A backend that answered a call it detached sets Status 202 and CallID.
type CallResult struct {
	Status int
	Header http.Header
	Body   io.ReadCloser
	CallID string
}

// Authenticator validates an OpenStack token. It returns EUNAUTHENTICATED
// for a missing, invalid or expired token and EUNAVAILABLE when the
// identity service cannot answer.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*Identity, error)
}

// Authorizer decides whether an identity may perform an action on a
// project; it returns EFORBIDDEN with a message saying why not.
type Authorizer interface {
	Authorize(id *Identity, projectID string, action Action) error
}
