package keystone

import (
	"log/slog"
	"time"
)

// Defaults of Options. DefaultCacheTTL is keystonemiddleware's
// token_cache_time; the command-line flags use it as their default.
const (
	DefaultCacheTTL  = 300 * time.Second
	DefaultCacheSize = 10000
	DefaultTimeout   = 5 * time.Second
	// DefaultMaxValidations bounds the validations waiting on Keystone at
	// once (see Options.MaxValidations).
	DefaultMaxValidations = 64
	// NegativeCacheTTL is how long a token Keystone rejected is rejected
	// again without asking it (see the package doc).
	NegativeCacheTTL = 10 * time.Second
	// MaxTokenSize bounds the tokens sent to Keystone at all: Fernet
	// tokens have about 200 bytes, JWS tokens under 1 KiB.
	MaxTokenSize = 8192
)

// Options configure a Validator. Either Username and Password (with the
// user's domain and a project scope) or AppCredentialID and
// AppCredentialSecret identify the service user, which needs the "service"
// or "admin" role.
type Options struct {
	// AuthURL is Keystone's v3 endpoint, e.g. http://127.0.0.1:5000/v3.
	// Validation requests go there too, not to the catalog's endpoint.
	AuthURL string

	Username          string
	Password          string
	UserDomainName    string // default "Default"
	ProjectName       string // default "service"
	ProjectDomainName string // default "Default"

	AppCredentialID     string
	AppCredentialSecret string

	// CacheTTL bounds how long a successful validation is reused (never
	// past the token's expiry). 0 turns the cache off; use DefaultCacheTTL
	// for keystonemiddleware's behaviour.
	CacheTTL time.Duration
	// CacheSize is the most tokens remembered, valid and rejected each
	// (default DefaultCacheSize).
	CacheSize int
	// Timeout bounds every call to Keystone (default DefaultTimeout).
	Timeout time.Duration
	// MaxValidations bounds the distinct tokens being validated with
	// Keystone at once (default DefaultMaxValidations). The caches absorb
	// known and repeated tokens; beyond the bound a new token is answered
	// EUNAVAILABLE (503, retry) at once, so a flood of distinct garbage
	// tokens costs Keystone at most this many calls in flight.
	MaxValidations int

	Logger *slog.Logger     // default slog.Default()
	Now    func() time.Time // default time.Now; tests move the clock
}

func (o Options) withDefaults() Options {
	if o.UserDomainName == "" {
		o.UserDomainName = "Default"
	}
	if o.ProjectName == "" {
		o.ProjectName = "service"
	}
	if o.ProjectDomainName == "" {
		o.ProjectDomainName = "Default"
	}
	if o.CacheSize <= 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxValidations <= 0 {
		o.MaxValidations = DefaultMaxValidations
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
