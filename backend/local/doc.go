// Package local is the embedded function runtime behind Picasso's
// zero-configuration default: instead of forwarding calls to IronFunctions,
// it runs each call as a process on the gateway's own host, in a sandbox
// of its own.
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
// # Sandbox
//
// With Options.Sandbox SandboxBwrap (the default) every call runs in its
// own bubblewrap (bwrap) sandbox, so that tenants' code cannot reach the
// gateway or other calls:
//
//   - new PID, mount, IPC, UTS and network namespaces: the function sees
//     only its own processes in its own /proc, and has no network but its
//     own loopback (Options.AllowNetwork keeps the host's network,
//     loopback services included);
//   - a root of its own: /usr and the /bin, /sbin, /lib* links or
//     directories read-only, a few files of /etc (loader cache, the
//     alternatives links, name service and time zone; with the network
//     also resolv.conf and the CA certificates), a minimal /dev, the
//     functions directory read-only at /functions (its working
//     directory), and a private tmpfs /tmp of Options.TmpSizeBytes;
//     nothing else of the host, the gateway's working directory included;
//   - the unprivileged Options.SandboxUser (default nobody), switched to
//     by setpriv inside the sandbox when the gateway runs as root, with no
//     capabilities, no supplementary groups and no new privileges; a new
//     session; an environment of exactly the variables below;
//   - bwrap dies with the call (--die-with-parent) and takes the sandbox's
//     init with it; when the init ends, the kernel kills every process of
//     the PID namespace, so nothing outlives the call, setsid or not.
//
// bwrap's options reach it through a memfd, not its command line, which
// every user of the host can read. Descriptors the gateway inherited are
// marked close-on-exec at New, so a function gets only stdin, stdout and
// stderr. New runs a sandbox once and fails with ErrSandboxUnavailable
// when that does not work; SandboxNone runs functions as plain processes
// of the gateway's user, which only suits code the operator trusts.
//
// # What a function receives
//
// Each call runs the file itself (no shell in between, except for the
// memory limit without a sandbox) with the functions directory as its
// working directory and IronFunctions' default
// format:
//
//   - stdin: the request body, except for GET and HEAD, where it is the
//     value of the "payload" query parameter. (IronFunctions passes the body
//     for POST only; this runtime passes it for every method that has one.)
//   - stdout: the response body, 200, with the route's headers (first value
//     of each) and no Content-Type unless a route header sets one. Output
//     beyond Options.MaxOutputBytes fails the call.
//   - stderr: written to the log at warn level with the request id, and to
//     the call's Log (the record of a queued call), never to the caller.
//   - environment: nothing of the gateway's own (it holds secrets): the
//     app config, then the route config (keys upper case, "-" → "_"; the
//     route wins), then, overriding config, PATH=/usr/local/bin:/usr/bin:/bin,
//     METHOD, ROUTE, REQUEST_URL, HEADER_<NAME> for each request header
//     (upper case, "-" → "_", values joined by a space), CALL_ID (a queued
//     call's id, from X-Picasso-Call-Id, or a fresh one), CALL_ATTEMPT (a
//     queued call's attempt, from 1) and HEADER_X_OPENSTACK_REQUEST_ID (the
//     gateway's request id).
//     REQUEST_URL is Options.BaseURL + "/r/<backend app name><route
//     path>" plus the query; unlike IronFunctions' it keeps the colon
//     after the scheme, and without a BaseURL it is a relative URL.
//
// Config keys that would set one of the runtime's own variables (the
// names above and every HEADER_*) or a variable that makes a loader, shell
// or interpreter run other code (LD_*, BASH_ENV, ENV, IFS, PYTHON*,
// NODE_*, PERL5*, RUBYOPT, JAVA_TOOL_OPTIONS, GCONV_PATH, BROWSER, ...;
// the list is in configkeys.go) are refused: the runtime implements
// picasso.ConfigChecker, which the gateway calls before it writes an app
// or a route, and a key stored before that is dropped at call time.
//
// # Limits
//
//   - timeout: the route's timeout (and the caller's context) bounds the
//     run; on expiry bwrap's process group (without a sandbox: the
//     function's) is killed with SIGKILL and the call fails with ETIMEOUT
//     (504). Without a sandbox, a process that moves itself to another
//     group or session escapes this kill.
//   - exit status: a non-zero exit fails the call with EBADGATEWAY (502)
//     whose message carries the request id and the exit status, nothing
//     of the output.
//   - max_concurrency: at most that many runs of one route at a time; an
//     excess call waits for a free slot up to the route timeout, then fails
//     with EUNAVAILABLE (503).
//   - memory and processes, in a sandbox: each call gets a cgroup (v2, or
//     the v1 memory and pids hierarchies) limiting its resident memory,
//     swap included, to the route's memory and its processes to
//     Options.MaxProcesses. bwrap reports the sandbox's init (--info-fd)
//     and waits (--block-fd) until the runtime has put it in the cgroup
//     and set its rlimits, so the function starts confined. A call killed
//     for memory fails with EBADGATEWAY saying so; a fork bomb only fails
//     its own forks. Where cgroups cannot be created (no such hierarchy,
//     not root), New logs a warning and the limits become rlimits: an
//     address-space limit (RLIMIT_AS), which counts mappings rather than
//     resident memory, and RLIMIT_NPROC, which counts every process of
//     the sandbox user, across calls.
//   - CPU time (RLIMIT_CPU: the timeout plus a second) and open files
//     (RLIMIT_NOFILE, 1024), in a sandbox.
//   - memory without a sandbox: an address-space limit set by /bin/sh
//     ("ulimit -v") before it execs the file; if /bin/sh cannot, New logs
//     a warning and memory is advisory.
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
