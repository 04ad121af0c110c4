package local

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/picasso-faas/picasso"
)

var (
	_ picasso.Backend          = (*Runtime)(nil)
	_ picasso.BackendInventory = (*Runtime)(nil)
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
}

// Runtime runs functions as local processes. It is safe for concurrent use.
type Runtime struct {
	dir         string // FunctionsDir, absolute with symlinks resolved
	log         *slog.Logger
	maxOutput   int64
	baseURL     string
	limitMemory bool

	registry registry
	slots    limiter
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
	if err := probeMemoryLimit(); err != nil {
		rt.log.Warn("local runtime: route memory is advisory, /bin/sh cannot set an address-space limit", "error", err)
	} else {
		rt.limitMemory = true
	}
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
