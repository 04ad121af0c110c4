package picasso

import (
	"context"
	"fmt"
	"time"
)

// Resource names one limit of a project. The names are the resource names
// of the unified limits registered in Keystone under Picasso's service.
type Resource string

const (
	ResourceApps        Resource = "function_apps"        // apps per project
	ResourceRoutes      Resource = "function_routes"      // routes per project, over all its apps
	ResourceConcurrency Resource = "function_concurrency" // function calls running at once, sync and async
	ResourceRate        Resource = "function_rate"        // function calls started per second
	ResourceQueued      Resource = "function_queued"      // async calls waiting in the queue
	ResourceCodeBytes   Resource = "function_code_bytes"  // bytes of stored function code
	ResourceTriggers    Resource = "function_triggers"    // event triggers per project
	ResourceSchedules   Resource = "function_schedules"   // schedules per project
)

// Resources lists every resource, in the order the limits view shows them.
var Resources = []Resource{
	ResourceApps, ResourceRoutes, ResourceConcurrency, ResourceRate,
	ResourceQueued, ResourceCodeBytes, ResourceTriggers, ResourceSchedules,
}

// Unlimited is the limit that never refuses: Keystone's -1.
const Unlimited int64 = -1

// Limits tells a project's limit for a resource: the project's own
// override when there is one, the deployment's default otherwise, or
// Unlimited.
type Limits interface {
	Limit(ctx context.Context, projectID string, resource Resource) (int64, error)
}

// QuotaStore writes the rows that count limits bound. Each create counts
// and inserts in one transaction that holds the project's lock, so two
// concurrent creates can never both take the last slot. limit may be
// Unlimited.
type QuotaStore interface {
	// CreateAppWithin is CreateApp that refuses with EQUOTA (a *LimitError)
	// when the project already has limit apps.
	CreateAppWithin(ctx context.Context, app *App, limit int64) error
	// CreateRouteWithin is CreateRoute that refuses with EQUOTA when the
	// project (the owner of route.AppID) already has limit routes.
	CreateRouteWithin(ctx context.Context, projectID string, route *Route, limit int64) error
	// Usage counts what the project holds of the count resources the
	// store keeps (apps, routes, ...); resources it does not count are
	// absent.
	Usage(ctx context.Context, projectID string) (map[Resource]int64, error)
}

// CallGate admits a project's function calls within its concurrency and
// rate limits, before the replica's own overload protection, so that one
// project cannot take the calls of all the others.
type CallGate interface {
	// Admit returns a release function to call when the call ends, or
	// ETOOMANY (a *LimitError with RetryAfter) when the project is at its
	// limit.
	Admit(ctx context.Context, projectID string) (release func(), err error)
	// InFlight is the number of the project's calls admitted and not yet
	// released, as this gate counts them.
	InFlight(projectID string) int64
}

// LimitError is a request refused by one of the project's limits. It
// unwraps to an *Error with EQUOTA or ETOOMANY and a message naming the
// resource, the limit and the usage, so it travels like every other error.
type LimitError struct {
	Resource  Resource
	Limit     int64
	Used      int64
	Requested int64
	// RetryAfter is when a retry may succeed (ETOOMANY only).
	RetryAfter time.Duration
	err        *Error
}

func (e *LimitError) Error() string { return e.err.Message }
func (e *LimitError) Unwrap() error { return e.err }

// QuotaExceeded refuses a create of requested units of resource when used
// of limit are taken, in the words Nova uses for the same refusal.
func QuotaExceeded(resource Resource, limit, used, requested int64) *LimitError {
	return &LimitError{Resource: resource, Limit: limit, Used: used, Requested: requested, err: Errorf(EQUOTA,
		"Quota exceeded for %s: requested %d, but already used %d of %d", resource, requested, used, limit)}
}

// TooMany refuses a call beyond a concurrency or rate limit.
func TooMany(resource Resource, limit int64, retryAfter time.Duration) *LimitError {
	what := fmt.Sprintf("%d concurrent function calls", limit)
	if resource == ResourceRate {
		what = fmt.Sprintf("%d function calls per second", limit)
	}
	return &LimitError{Resource: resource, Limit: limit, Used: limit, Requested: 1, RetryAfter: retryAfter,
		err: Errorf(ETOOMANY, "Rate limit exceeded for %s: the project may make %s; retry later", resource, what)}
}

// CheckQuota returns QuotaExceeded when used+requested goes beyond limit.
// Stores call it inside the transaction that counted used.
func CheckQuota(resource Resource, limit, used, requested int64) error {
	if limit != Unlimited && used+requested > limit {
		return QuotaExceeded(resource, limit, used, requested)
	}
	return nil
}
