package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/picasso-faas/picasso/backend/driver"
	"github.com/picasso-faas/picasso/backend/local"
	"github.com/picasso-faas/picasso/gateway"
	"github.com/picasso-faas/picasso/keystone"
	"github.com/picasso-faas/picasso/schedule"
	"github.com/picasso-faas/picasso/store"
)

// config is everything picasso-api can be told, by flag or environment
// variable (the flag wins). The original Picasso's names are kept.
type config struct {
	Host         string
	Port         int
	PublicURL    string
	DBURI        string
	AutoMigrate  bool
	Backend      string
	FunctionsURL string
	FunctionsDir string

	LocalSandbox      string
	LocalSandboxUser  string
	LocalAllowNetwork bool
	LocalMaxProcesses int
	LocalTmpSize      int64
	LocalMaxIdle      int
	LocalCodeCacheDir string

	Auth                     string
	AllowRemoteNoAuth        bool
	KeystoneEndpoint         string
	KeystoneUser             string
	KeystonePassword         string
	KeystoneUserDomain       string
	KeystoneProject          string
	KeystoneProjectDomain    string
	KeystoneAppCredentialID  string
	KeystoneAppCredentialKey string
	TokenCacheTTL            time.Duration
	KeystoneTimeout          time.Duration
	KeystoneMaxValidations   int

	LogLevel  string
	LogFile   string
	LogFormat string

	MaxBodyBytes        int64
	MaxInFlightCalls    int
	InvokeTimeoutMargin time.Duration
	BackendTimeout      time.Duration
	ReadHeaderTimeout   time.Duration
	IdleTimeout         time.Duration
	DrainTimeout        time.Duration
	BodyReadTimeout     time.Duration
	MaxConnections      int
	Procs               string
	GCHeapFloor         int64
	// GOMAXPROCSEnv and GOGCEnv are the Go runtime's own variables: when
	// set, the operator has tuned the runtime, and --procs or
	// --gc-heap-floor is not applied.
	GOMAXPROCSEnv, GOGCEnv string
	MetricsAddr            string
	FunctionURL            string

	Executions executionConfig
	limitsConfig
	ScheduleMinInterval time.Duration
	ScheduleScanPeriod  time.Duration
	Triggers            triggerConfig
}

// Modes of authentication and kinds of backend.
const (
	authKeystone = "keystone"
	authNoAuth   = "noauth"

	backendIronFunctions = "ironfunctions"
	backendFn            = "fn"
	backendLocal         = "local"
)

// defaultSQLiteURI is the embedded database used when --db-uri is unset.
const defaultSQLiteURI = "sqlite://picasso.db"

// envFlags binds each flag to its environment variable: the variable's
// value becomes the flag's default, so an explicit flag still wins.
type envFlags struct {
	fs      *flag.FlagSet
	getenv  func(string) string
	errs    []error
	secrets []secretFlag
}

func (e *envFlags) usage(env, usage string) string {
	return usage + " (env " + env + ")"
}

func (e *envFlags) String(p *string, name, env, def, usage string) {
	if v := e.getenv(env); v != "" {
		def = v
	}
	e.fs.StringVar(p, name, def, e.usage(env, usage))
}

// Secret binds a flag whose environment value must not show as the
// default in --help: it is read after parsing, when the flag was not given.
func (e *envFlags) Secret(p *string, name, env, usage string) {
	e.fs.StringVar(p, name, "", e.usage(env, usage))
	e.secrets = append(e.secrets, secretFlag{p: p, name: name, env: env})
}

type secretFlag struct {
	p         *string
	name, env string
}

// resolveSecrets fills the secret flags not given from their variables.
func (e *envFlags) resolveSecrets() {
	explicit := explicitFlags(e.fs)
	for _, s := range e.secrets {
		if !explicit[s.name] {
			*s.p = e.getenv(s.env)
		}
	}
}

func (e *envFlags) Int(p *int, name, env string, def int, usage string) {
	e.fs.IntVar(p, name, envDefault(e, env, def, strconv.Atoi, "an integer"), e.usage(env, usage))
}

func (e *envFlags) Int64(p *int64, name, env string, def int64, usage string) {
	parse := func(v string) (int64, error) { return strconv.ParseInt(v, 10, 64) }
	e.fs.Int64Var(p, name, envDefault(e, env, def, parse, "an integer"), e.usage(env, usage))
}

func (e *envFlags) Bool(p *bool, name, env string, def bool, usage string) {
	e.fs.BoolVar(p, name, envDefault(e, env, def, strconv.ParseBool, "a boolean"), e.usage(env, usage))
}

func (e *envFlags) Duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	e.fs.DurationVar(p, name, envDefault(e, env, def, time.ParseDuration, "a duration such as 30s"), e.usage(env, usage))
}

// envDefault is the variable's value when it is set, def otherwise; a
// value that does not parse is recorded as the configuration's error.
func envDefault[T any](e *envFlags, env string, def T, parse func(string) (T, error), kind string) T {
	v := e.getenv(env)
	if v == "" {
		return def
	}
	parsed, err := parse(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("invalid %s=%q: not %s", env, v, kind))
		return def
	}
	return parsed
}

// parseConfig reads flags and environment, fills the derived defaults and
// validates everything, failing with one line that names the option.
// commandFlags add the flags of a subcommand to the same set, so that
// they parse (and show in --help) like every other flag.
func parseConfig(name string, args []string, getenv func(string) string, stderr io.Writer, commandFlags ...func(*flag.FlagSet)) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, add := range commandFlags {
		add(fs)
	}
	e := &envFlags{fs: fs, getenv: getenv}
	var dev bool
	fs.BoolVar(&dev, "dev", false, "development defaults: embedded SQLite, local runtime, no authentication, 127.0.0.1 only (the same as giving no configuration)")
	var devListen string
	fs.StringVar(&devListen, "dev-listen", "", "--dev, but listening on this address, e.g. 0.0.0.0 to try Picasso in a container: ANYONE WHO REACHES IT IS ADMIN")

	e.String(&c.Host, "host", "PICASSO_HOST", "", "address to listen on (default 127.0.0.1 with --auth noauth, else 0.0.0.0)")
	e.Int(&c.Port, "port", "PICASSO_PORT", 10001, "port to listen on")
	e.String(&c.PublicURL, "public-url", "PICASSO_PUBLIC_URL", "", "base URL users reach Picasso at, used in route URLs (default http://<host>:<port>)")
	e.Secret(&c.DBURI, "db-uri", "PICASSO_DB", "database: mysql://user:pass@host[:port]/db, mysql+pymysql://..., or sqlite:///path/to/file.db (default "+defaultSQLiteURI+")")
	e.Bool(&c.AutoMigrate, "auto-migrate", "PICASSO_AUTO_MIGRATE", false, "apply database migrations at start (always on for the default embedded SQLite)")
	e.String(&c.Backend, "backend", "PICASSO_BACKEND", "", "FaaS runtime: ironfunctions, fn or local (default: local without --functions-url; fn when its path ends in /v2; else ironfunctions)")
	e.String(&c.FunctionsURL, "functions-url", "FUNCTIONS_URL", "", "URL of the FaaS runtime's API, e.g. http://ironfunctions:8080/v1")
	e.String(&c.FunctionsDir, "functions-dir", "PICASSO_FUNCTIONS_DIR", "examples/functions", "directory of executables the local runtime runs (a route's image names a file in it)")

	e.String(&c.LocalSandbox, "local-sandbox", "PICASSO_LOCAL_SANDBOX", "bwrap", "how the local runtime isolates each call: bwrap (bubblewrap sandbox) or none (plain processes of the gateway's user; only for code you trust)")
	e.String(&c.LocalSandboxUser, "local-sandbox-user", "PICASSO_LOCAL_SANDBOX_USER", "nobody", "user (name, uid or uid:gid, not root) that sandboxed functions run as; needs picasso-api to run as root")
	e.Bool(&c.LocalAllowNetwork, "local-allow-network", "PICASSO_LOCAL_ALLOW_NETWORK", false, "give sandboxed functions the host's network, including its loopback services (default: no network)")
	e.Int(&c.LocalMaxProcesses, "local-max-processes", "PICASSO_LOCAL_MAX_PROCESSES", 64, "processes one sandboxed call may run at once")
	e.Int64(&c.LocalTmpSize, "local-tmp-size", "PICASSO_LOCAL_TMP_SIZE", 16<<20, "size in bytes of each sandboxed call's private /tmp")
	e.Int(&c.LocalMaxIdle, "local-max-idle-workers", "PICASSO_LOCAL_MAX_IDLE_WORKERS", local.DefaultMaxIdleWorkers, "idle warm workers (language runtime processes) kept across all routes; beyond it the one unused the longest is stopped")
	e.String(&c.LocalCodeCacheDir, "local-code-cache-dir", "PICASSO_LOCAL_CODE_CACHE_DIR", "", "where the local runtime unpacks uploaded code (default: $TMPDIR/picasso-code); rebuilt from the database on demand")

	e.String(&c.Auth, "auth", "PICASSO_AUTH", "", "authentication: keystone or noauth (default keystone when --keystone-endpoint is set, else noauth)")
	e.Bool(&c.AllowRemoteNoAuth, "allow-remote-noauth", "PICASSO_ALLOW_REMOTE_NOAUTH", false, "allow --auth noauth on a non-loopback address (anyone reaching it is admin)")
	e.String(&c.KeystoneEndpoint, "keystone-endpoint", "KEYSTONE_ENDPOINT", "", "Keystone v3 URL, e.g. http://keystone:5000/v3")
	e.String(&c.KeystoneUser, "keystone-user", "PICASSO_KEYSTONE_USER", "", "service user that validates tokens (needs role service or admin)")
	e.Secret(&c.KeystonePassword, "keystone-password", "PICASSO_KEYSTONE_PASSWORD", "password of the service user")
	e.String(&c.KeystoneUserDomain, "keystone-user-domain", "PICASSO_KEYSTONE_USER_DOMAIN", "Default", "domain of the service user")
	e.String(&c.KeystoneProject, "keystone-project", "PICASSO_KEYSTONE_PROJECT", "service", "project the service user logs in to")
	e.String(&c.KeystoneProjectDomain, "keystone-project-domain", "PICASSO_KEYSTONE_PROJECT_DOMAIN", "Default", "domain of that project")
	e.String(&c.KeystoneAppCredentialID, "keystone-app-credential-id", "PICASSO_KEYSTONE_APP_CREDENTIAL_ID", "", "application credential id, instead of user and password")
	e.Secret(&c.KeystoneAppCredentialKey, "keystone-app-credential-secret", "PICASSO_KEYSTONE_APP_CREDENTIAL_SECRET", "application credential secret")
	e.Duration(&c.TokenCacheTTL, "token-cache-ttl", "PICASSO_TOKEN_CACHE_TTL", keystone.DefaultCacheTTL, "how long a validated token is trusted without asking Keystone again; 0 disables the cache")
	e.Duration(&c.KeystoneTimeout, "keystone-timeout", "PICASSO_KEYSTONE_TIMEOUT", keystone.DefaultTimeout, "deadline of each call to Keystone")
	e.Int(&c.KeystoneMaxValidations, "keystone-max-validations", "PICASSO_KEYSTONE_MAX_VALIDATIONS", keystone.DefaultMaxValidations, "distinct tokens validated with Keystone at once; beyond, unknown tokens get 503 with Retry-After")

	e.String(&c.LogLevel, "log-level", "PICASSO_LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING or ERROR")
	e.String(&c.LogFile, "log-file", "PICASSO_LOG_FILE", "", "file to append logs to (default stdout)")
	e.String(&c.LogFormat, "log-format", "PICASSO_LOG_FORMAT", "", "json or text (default json; text on a terminal)")

	gatewayDefaults := gateway.DefaultConfig()
	e.Int64(&c.MaxBodyBytes, "max-body-size", "PICASSO_MAX_BODY_SIZE", gatewayDefaults.MaxBodyBytes, "largest function call body in bytes (413 beyond)")
	e.Int(&c.MaxInFlightCalls, "max-inflight-calls", "PICASSO_MAX_INFLIGHT_CALLS", gatewayDefaults.MaxInFlightCalls, "concurrent function calls before new ones get 503 with Retry-After")
	e.Duration(&c.InvokeTimeoutMargin, "invoke-timeout-margin", "PICASSO_INVOKE_TIMEOUT_MARGIN", gatewayDefaults.InvokeTimeoutMargin, "added to a route's timeout to form Picasso's own deadline (504 beyond)")
	e.Duration(&c.BackendTimeout, "backend-timeout", "PICASSO_BACKEND_TIMEOUT", driver.DefaultTimeout, "deadline of each management call to the backend")
	e.Duration(&c.ReadHeaderTimeout, "read-header-timeout", "PICASSO_READ_HEADER_TIMEOUT", 10*time.Second, "time a client has to send its request headers")
	e.Duration(&c.IdleTimeout, "idle-timeout", "PICASSO_IDLE_TIMEOUT", 120*time.Second, "how long an idle keep-alive connection stays open")
	e.Duration(&c.BodyReadTimeout, "body-read-timeout", "PICASSO_BODY_READ_TIMEOUT", gatewayDefaults.BodyReadTimeout, "time a client has to send a management request's body (a function call's body gets the route's timeout)")
	e.Int(&c.MaxConnections, "max-connections", "PICASSO_MAX_CONNECTIONS", 4096, "concurrent client connections; more wait to be accepted")
	e.String(&c.Procs, "procs", "PICASSO_PROCS", procsAuto, "CPUs the Go scheduler uses: auto (as many as the load keeps busy, up to every CPU the process may use) or all (every one, always); a GOMAXPROCS variable overrides both")
	e.Int64(&c.GCHeapFloor, "gc-heap-floor", "PICASSO_GC_HEAP_FLOOR", defaultHeapFloor, "heap in bytes the Go garbage collector lets Picasso reach before it collects; above it, twice the live heap; 0 for the runtime's own goal; a GOGC variable overrides it")
	e.String(&c.FunctionURL, "function-url", "PICASSO_FUNCTION_URL", "", "base URL of a separate origin for function calls, e.g. https://fn.example.com: /r/ and /webhooks/ are served only on its host, the API and UI never (recommended in production)")
	e.Duration(&c.DrainTimeout, "drain-timeout", "PICASSO_DRAIN_TIMEOUT", 30*time.Second, "on SIGTERM, how long in-flight requests may take to finish")
	e.Duration(&c.ScheduleMinInterval, "schedule-min-interval", "PICASSO_SCHEDULE_MIN_INTERVAL", schedule.DefaultMinInterval, "shortest gap allowed between two ticks of a schedule")
	e.Duration(&c.ScheduleScanPeriod, "schedule-scan-period", "PICASSO_SCHEDULE_SCAN_PERIOD", schedule.DefaultScanPeriod, "how often each replica looks for due schedule ticks")
	e.String(&c.MetricsAddr, "metrics-addr", "PICASSO_METRICS_ADDR", "", "serve /metrics on this separate address as well, e.g. 127.0.0.1:9101")
	c.limitsConfig.flags(e)

	c.Executions.register(e)
	c.Triggers.register(e)

	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	e.resolveSecrets()
	if len(e.errs) > 0 {
		return nil, e.errs[0]
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.GOMAXPROCSEnv, c.GOGCEnv = getenv("GOMAXPROCS"), getenv("GOGC")
	if dev || devListen != "" {
		c.applyDev(explicitFlags(fs))
	}
	if devListen != "" {
		c.Host = devListen
		c.AllowRemoteNoAuth = true
	}
	if err := c.complete(); err != nil {
		return nil, err
	}
	return c, nil
}

// applyDev resets what the environment may have configured to the
// embedded defaults, keeping the flags given on the command line.
func (c *config) applyDev(explicit map[string]bool) {
	reset := func(name string, field *string, value string) {
		if !explicit[name] {
			*field = value
		}
	}
	reset("db-uri", &c.DBURI, "")
	reset("auth", &c.Auth, authNoAuth)
	reset("backend", &c.Backend, backendLocal)
	reset("functions-url", &c.FunctionsURL, "")
	reset("keystone-endpoint", &c.KeystoneEndpoint, "")
	reset("host", &c.Host, "")
	c.AutoMigrate = true
}

func explicitFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// complete derives the defaults that depend on other options and checks
// that the whole makes sense.
func (c *config) complete() error {
	if c.DBURI == "" {
		// The embedded database is Picasso's own: it is always migrated.
		c.DBURI = defaultSQLiteURI
		c.AutoMigrate = true
	}
	if _, _, err := store.ParseURI(c.DBURI); err != nil {
		return fmt.Errorf("invalid --db-uri: %w", err)
	}
	if err := c.completeBackend(); err != nil {
		return err
	}
	if err := c.completeAuth(); err != nil {
		return err
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("invalid --port %d: must be from 0 to 65535", c.Port)
	}
	if c.PublicURL != "" {
		if err := checkHTTPURL(c.PublicURL); err != nil {
			return fmt.Errorf("invalid --public-url: %w", err)
		}
	}
	if c.FunctionURL != "" {
		if err := checkHTTPURL(c.FunctionURL); err != nil {
			return fmt.Errorf("invalid --function-url: %w", err)
		}
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.Procs != procsAuto && c.Procs != procsAll {
		return fmt.Errorf("invalid --procs %q: must be %s or %s", c.Procs, procsAuto, procsAll)
	}
	if c.GCHeapFloor < 0 {
		return fmt.Errorf("invalid --gc-heap-floor %d: must be 0 or more bytes", c.GCHeapFloor)
	}
	if c.LogFormat != "" && c.LogFormat != "json" && c.LogFormat != "text" {
		return fmt.Errorf("invalid --log-format %q: must be json or text", c.LogFormat)
	}
	switch {
	case c.MaxBodyBytes <= 0:
		return errors.New("invalid --max-body-size: must be positive")
	case c.MaxInFlightCalls <= 0:
		return errors.New("invalid --max-inflight-calls: must be positive")
	case c.TokenCacheTTL < 0:
		return errors.New("invalid --token-cache-ttl: must not be negative")
	case c.KeystoneMaxValidations <= 0:
		return errors.New("invalid --keystone-max-validations: must be positive")
	case c.BodyReadTimeout <= 0:
		return errors.New("invalid --body-read-timeout: must be positive")
	case c.MaxConnections <= 0:
		return errors.New("invalid --max-connections: must be positive")
	case c.ScheduleMinInterval < time.Second:
		return errors.New("invalid --schedule-min-interval: must be at least 1s")
	case c.ScheduleScanPeriod <= 0:
		return errors.New("invalid --schedule-scan-period: must be positive")
	}
	if err := c.Executions.check(); err != nil {
		return err
	}
	if err := c.Triggers.check(); err != nil {
		return err
	}
	return c.limitsConfig.complete()
}

func (c *config) completeBackend() error {
	if c.Backend == "" {
		switch {
		case c.FunctionsURL == "":
			c.Backend = backendLocal
		case strings.HasSuffix(strings.TrimRight(c.FunctionsURL, "/"), "/v2"):
			c.Backend = backendFn
		default:
			c.Backend = backendIronFunctions
		}
	}
	switch c.Backend {
	case backendLocal:
		if c.FunctionsDir == "" {
			return errors.New("invalid --functions-dir: must not be empty with --backend local")
		}
		if c.LocalSandbox != string(local.SandboxBwrap) && c.LocalSandbox != string(local.SandboxNone) {
			return fmt.Errorf("invalid --local-sandbox %q: must be bwrap or none", c.LocalSandbox)
		}
		if c.LocalMaxProcesses <= 0 {
			return errors.New("invalid --local-max-processes: must be positive")
		}
		if c.LocalTmpSize <= 0 {
			return errors.New("invalid --local-tmp-size: must be positive")
		}
		if c.LocalMaxIdle <= 0 {
			return errors.New("invalid --local-max-idle-workers: must be positive")
		}
	case backendIronFunctions, backendFn:
		if c.FunctionsURL == "" {
			return fmt.Errorf("missing --functions-url: required with --backend %s", c.Backend)
		}
		if err := checkHTTPURL(c.FunctionsURL); err != nil {
			return fmt.Errorf("invalid --functions-url: %w", err)
		}
	default:
		return fmt.Errorf("invalid --backend %q: must be ironfunctions, fn or local", c.Backend)
	}
	return nil
}

func (c *config) completeAuth() error {
	if c.Auth == "" {
		c.Auth = authNoAuth
		if c.KeystoneEndpoint != "" {
			c.Auth = authKeystone
		}
	}
	switch c.Auth {
	case authNoAuth:
		if c.Host == "" {
			c.Host = "127.0.0.1"
		}
		if !isLoopback(c.Host) && !c.AllowRemoteNoAuth {
			return fmt.Errorf("refusing --auth noauth on --host %s: anyone reaching it would be admin; use a loopback address or --allow-remote-noauth (or, only to try Picasso out, --dev-listen %s)", c.Host, c.Host)
		}
	case authKeystone:
		if c.Host == "" {
			c.Host = "0.0.0.0"
		}
		if c.KeystoneEndpoint == "" {
			return errors.New("missing --keystone-endpoint: required with --auth keystone")
		}
		if err := checkHTTPURL(c.KeystoneEndpoint); err != nil {
			return fmt.Errorf("invalid --keystone-endpoint: %w", err)
		}
		if c.KeystoneAppCredentialID == "" && (c.KeystoneUser == "" || c.KeystonePassword == "") {
			return errors.New("missing Keystone service credentials: set --keystone-user and --keystone-password, or --keystone-app-credential-id and --keystone-app-credential-secret")
		}
		if c.KeystoneAppCredentialID != "" && c.KeystoneAppCredentialKey == "" {
			return errors.New("missing --keystone-app-credential-secret: required with --keystone-app-credential-id")
		}
	default:
		return fmt.Errorf("invalid --auth %q: must be keystone or noauth", c.Auth)
	}
	return nil
}

// checkHTTPURL accepts absolute http(s) URLs with a host.
func checkHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		// Neither the URL nor the parser's error, which quotes it, is
		// shown: it may hold a password.
		return errors.New("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q must start with http:// or https://", u.Redacted())
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", u.Redacted())
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// listenAddr is the address the server binds.
func (c *config) listenAddr() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
}
