// Package local is the embedded function runtime behind Picasso's
// zero-configuration default: instead of forwarding calls to IronFunctions,
// it runs each call as a process on the gateway's own host.
//
// # Images
//
// A route's image names an executable file in the functions directory
// (Options.FunctionsDir). An image "name" or "name:tag" runs
// FunctionsDir/name; the tag is accepted for compatibility with container
// image names and ignored. The name must be a single file name: absolute
// paths, path separators, names starting with "." (which covers "..") and
// NUL are refused, and so is a symlink that resolves outside the directory.
// The target must be a regular file with an execute bit. CreateRoute and
// UpdateRoute check this, and every call resolves the image again, so
// removing a file from the directory disables its routes at once.
//
// # What a function receives
//
// Each call runs the file directly (no shell in between, except for the
// memory limit below) in a new process group, with the functions
// directory as its working directory and IronFunctions' default format:
//
//   - stdin: the request body, except for GET and HEAD, where it is the
//     value of the "payload" query parameter. (IronFunctions passes the body
//     for POST only; this runtime passes it for every method that has one.)
//   - stdout: the response body, 200, with the route's headers (first value
//     of each) and no Content-Type unless a route header sets one. Output
//     beyond Options.MaxOutputBytes fails the call.
//   - stderr: written to the log at warn level with the request id, and to
//     the call's Log (the record of a queued call), never to the caller.
//   - environment: nothing of the gateway's own (it holds secrets) but
//     PATH=/usr/local/bin:/usr/bin:/bin, then METHOD, ROUTE, REQUEST_URL,
//     HEADER_<NAME> for each request header (upper case, "-" → "_", values
//     joined by a space), then the app config and the route config (keys
//     upper case, "-" → "_"; the route wins), and last CALL_ID (a queued
//     call's id, from X-Picasso-Call-Id, or a fresh one), CALL_ATTEMPT (a
//     queued call's attempt, from 1) and HEADER_X_OPENSTACK_REQUEST_ID (the
//     gateway's request id), which config cannot override. REQUEST_URL is Options.BaseURL + "/r/<backend app
//     name><route path>" plus the query; unlike IronFunctions' it keeps the
//     colon after the scheme, and without a BaseURL it is a relative URL.
//
// # Limits
//
//   - timeout: the route's timeout (and the caller's context) bounds the
//     run; on expiry the whole process group is killed with SIGKILL and the
//     call fails with ETIMEOUT (504). The group is also killed when the
//     function exits, so nothing it started outlives the call (a process
//     that moves itself to another group or session escapes this).
//   - exit status: a non-zero exit fails the call with EBADGATEWAY (502)
//     whose message carries the request id and the exit status, nothing
//     of the output.
//   - max_concurrency: at most that many runs of one route at a time; an
//     excess call waits for a free slot up to the route timeout, then fails
//     with EUNAVAILABLE (503).
//   - memory: applied as an address-space limit (RLIMIT_AS, the route's
//     memory in MiB). Go cannot set a resource limit for one child only,
//     so the function is started through /bin/sh, whose "ulimit -v" sets
//     the limit before it execs the file. If /bin/sh cannot do that, New
//     logs a warning and memory is advisory. An address-space limit counts
//     mappings, not resident memory: runtimes that reserve large virtual
//     areas (Java, Go, Node) need a memory setting well above their use.
//
// # Async routes
//
// The runtime runs every call synchronously, whatever the route's type:
// Picasso makes a route async with its own durable queue (package
// execution), whose workers call the runtime as they would for a sync
// route. The function's stderr goes to the call's Log, when it has one,
// as well as to the gateway's log.
//
// # State
//
// The runtime keeps the apps and routes the gateway created in memory, for
// the reconciler (picasso.BackendInventory). Invoke runs from the app and
// route in the call, which the gateway loads from its store, so calls keep
// working after a restart empties the registry. The registry only vetoes:
// a call to a route of a registered app that lacks the route (deleted
// behind the store's back) fails with EBADGATEWAY, as with a remote
// backend that lost it.
package local
