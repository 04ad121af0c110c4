// Package keystone authenticates and authorizes Picasso's callers with
// OpenStack Keystone, as keystonemiddleware's auth_token does, plus what
// it lacks: a project check, one role table, and bounded caches.
//
// # Validation
//
// A Validator logs in as Picasso's service user with gophercloud
// (password or application credential, AllowReauth so that an expired
// service token is renewed once on Keystone's 401) and validates each user
// token with GET /v3/auth/tokens?nocatalog (not HEAD, which Keystone's
// policy denies to the "service" role). Requests go to Options.AuthURL,
// not to the identity endpoint of the catalog, which may be a public URL
// Picasso cannot reach from inside the deployment. A Keystone that is down
// when Picasso starts is not fatal: the login is retried on use.
//
// Answers, as picasso error codes (the HTTP status in parentheses):
//
//	no token                               EUNAUTHENTICATED (401) "Missing X-Auth-Token"
//	Keystone 404, token expired or > 8 KiB EUNAUTHENTICATED (401) "Invalid or expired token"
//	Keystone 401 after a fresh login       EUNAVAILABLE (503), logged: service credentials
//	Keystone 403                           EUNAVAILABLE (503), logged: service user lacks the service role
//	Keystone 5xx, refused, timeout         EUNAVAILABLE (503) "Identity service unavailable"
//
// Every Keystone call is bounded by Options.Timeout. Tokens never appear
// in logs or errors; logs name a token by the first 6 bytes of its
// SHA-256. A request id set with picasso.WithRequestID is sent to Keystone as
// X-Openstack-Request-Id.
//
// Tokens scoped to no project (unscoped, domain, system, or a project
// acting as a domain) are valid identities without a ProjectID; the
// Policy refuses them with 403 "Token is not scoped to a project", which
// tells the client what to change better than a 401 would.
//
// # Caching
//
// Successful validations are cached under the token's SHA-256 for
// min(Options.CacheTTL, time left until the token expires); CacheTTL 0
// turns this cache off (DefaultCacheTTL is keystonemiddleware's 300 s).
// As with keystonemiddleware, a token revoked after it was cached stays
// accepted until its entry expires. Concurrent requests with a token that
// is not cached share one Keystone call (singleflight); the call is not
// cancelled when the first of those requests goes away.
//
// Invalid tokens: keystonemiddleware caches none, so repeating a bad token
// costs a Keystone call each time. Here a token Keystone rejected is
// rejected without asking again for NegativeCacheTTL (10 s) — safe,
// because a rejected token never becomes valid — so one client repeating
// a bad token costs Keystone one call per 10 s. Different bad tokens each
// cost a call; limiting such a client is the job of a rate limit in front
// of the gateway, not of this cache.
//
// Both caches hold at most Options.CacheSize entries. A full cache drops
// the expired entries among 8 sampled ones, or else the sampled entry that
// expires first (Redis' approximation of LRU, without a write lock on
// every hit).
//
// Benchmarks (go test -bench . ./keystone, 2-core Xeon VM, Go 1.26):
//
//	BenchmarkAuthenticateCached-2            190–250 ns/op   0 B/op   0 allocs/op
//	BenchmarkAuthenticateCachedParallel-2    260–840 ns/op   0 B/op   0 allocs/op (noisy shared VM)
//
// An uncached validation costs 7–12 ms against a local Keystone.
//
// # Authorization
//
// Policy (a picasso.Authorizer) holds the role table of DefaultRoles:
// reader may read; member may also write and invoke; the admin role may
// do anything on any project. Everyone else must present a token scoped
// to the project in the URL. NewPolicy takes other role names.
//
// # Development mode
//
// NoAuth accepts every request as an administrator, without Keystone. It
// is only for a server listening on loopback.
//
// # Tests
//
// The package keystonetest connects integration tests to the real
// Keystone started by scripts/keystone.sh:
//
//	eval "$(scripts/keystone.sh start)"
//	go test -race ./keystone/...
package keystone
