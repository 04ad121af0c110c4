package local

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/picasso-faas/picasso/backend/driver"

	"github.com/picasso-faas/picasso"
)

var (
	_ driver.Driver      = (*Runtime)(nil)
	_ picasso.CodeRunner = (*Runtime)(nil)
)

// Defaults of Options.
const (
	DefaultMaxOutputBytes = 10 << 20
)

// Options configure a Runtime.
type Options struct {
	// FunctionsDir holds the executables that route images name. Required;
	// it must exist.
	FunctionsDir string
	// Logger receives function stderr; slog.Default() when nil.
	Logger *slog.Logger
	// MaxOutputBytes bounds a function's stdout; more fails the call.
	MaxOutputBytes int64
	// BaseURL is the scheme and host that REQUEST_URL starts with, e.g.
	// "https://faas.example.com". Optional.
	BaseURL string

	// Sandbox isolates every call (SandboxBwrap when empty); New fails
	// with ErrSandboxUnavailable when bubblewrap cannot run here.
	Sandbox Sandbox
	// SandboxUser runs the calls: a user name, a uid or uid:gid, never
	// root (DefaultSandboxUser when empty). It takes effect when the
	// gateway runs as root; otherwise calls run as the gateway's user.
	SandboxUser string
	// AllowNetwork gives sandboxed calls the host's network, loopback
	// services included; by default they have none.
	AllowNetwork bool
	// TmpSizeBytes caps each call's private /tmp (DefaultTmpSizeBytes).
	TmpSizeBytes int64
	// MaxProcesses bounds the processes of one call (DefaultMaxProcesses).
	MaxProcesses int

	// Code is where routes' uploaded code is read from when this replica
	// has not unpacked it yet; without it only code PrepareCode received
	// runs.
	Code picasso.CodeSource
	// CodeCacheDir holds unpacked code, one directory per version
	// ($TMPDIR/picasso-code when empty).
	CodeCacheDir string
	// WorkerIdleTimeout is how long a warm runtime worker waits for its
	// next call (DefaultWorkerIdleTimeout).
	WorkerIdleTimeout time.Duration
	// MaxIdleWorkers bounds the idle warm workers of all routes together
	// (DefaultMaxIdleWorkers); beyond it the one unused the longest is
	// killed.
	MaxIdleWorkers int
}

// Runtime runs functions as local processes. It is safe for concurrent use.
type Runtime struct {
	dir         string // FunctionsDir, absolute with symlinks resolved
	log         *slog.Logger
	maxOutput   int64
	baseURL     string
	limitMemory bool     // SandboxNone only: /bin/sh sets RLIMIT_AS
	sandbox     *sandbox // nil: SandboxNone

	registry registry
	slots    limiter

	langs   map[string]*langRuntime // by name; those found on the host
	code    *codeCache
	workers *workerPool

	// cleanups are the removals of finished calls' cgroups in flight.
	cleanups sync.WaitGroup
}

// New returns a runtime serving the executables of opts.FunctionsDir.
func New(opts Options) (*Runtime, error) {
	if opts.FunctionsDir == "" {
		return nil, fmt.Errorf("local: FunctionsDir is required")
	}
	dir, err := resolveDir(opts.FunctionsDir)
	if err != nil {
		return nil, fmt.Errorf("local: functions directory: %w", err)
	}
	rt := &Runtime{
		dir:       dir,
		log:       opts.Logger,
		maxOutput: opts.MaxOutputBytes,
		baseURL:   strings.TrimRight(opts.BaseURL, "/"),
		registry:  newRegistry(),
		slots:     limiter{slots: map[routeKey]*slot{}},
	}
	if rt.log == nil {
		rt.log = slog.Default()
	}
	if rt.maxOutput <= 0 {
		rt.maxOutput = DefaultMaxOutputBytes
	}
	if err := closeInheritedFiles(); err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	if err := rt.setUpIsolation(opts); err != nil {
		return nil, err
	}
	if rt.code, err = newCodeCache(opts.CodeCacheDir, opts.Code); err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	rt.langs = findRuntimes()
	idle := opts.WorkerIdleTimeout
	if idle <= 0 {
		idle = DefaultWorkerIdleTimeout
	}
	maxIdle := opts.MaxIdleWorkers
	if maxIdle <= 0 {
		maxIdle = DefaultMaxIdleWorkers
	}
	rt.workers = newWorkerPool(idle, maxIdle)
	return rt, nil
}

func resolveDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(resolved)
	if err != nil {
		return "", err
	}
	if !info.IsDir() {
		return "", fmt.Errorf("%s is not a directory", dir)
	}
	return resolved, nil
}

// Ping reports whether the functions directory is still there.
func (rt *Runtime) Ping(ctx context.Context) error {
	info, err := os.Stat(rt.dir)
	if err != nil {
		return picasso.Wrap(picasso.EUNAVAILABLE, err, "Functions directory unavailable")
	}
	if !info.IsDir() {
		return picasso.Errorf(picasso.EUNAVAILABLE, "Functions directory unavailable")
	}
	return nil
}

// Close kills the idle warm workers and waits, until ctx ends, for the
// removals of finished calls' cgroups; calls still running end with their
// own deadlines (and their workers with them).
func (rt *Runtime) Close(ctx context.Context) error {
	rt.stopWorkers()
	done := make(chan struct{})
	go func() {
		rt.cleanups.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
