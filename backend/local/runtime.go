package local

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/picasso-faas/picasso/backend/driver"

	"github.com/picasso-faas/picasso"
)

var _ driver.Driver = (*Runtime)(nil)

// Defaults of Options.
const (
	DefaultMaxOutputBytes  = 10 << 20
	DefaultMaxPayloadBytes = 10 << 20
	DefaultMaxAsync        = 64
)

// Options configure a Runtime.
type Options struct {
	// FunctionsDir holds the executables that route images name. Required;
	// it must exist.
	FunctionsDir string
	// Logger receives function stderr and async outcomes; slog.Default()
	// when nil.
	Logger *slog.Logger
	// MaxOutputBytes bounds a function's stdout; more fails the call.
	MaxOutputBytes int64
	// MaxPayloadBytes bounds the payload of an async call, which has to be
	// held in memory until the background run reads it.
	MaxPayloadBytes int64
	// MaxAsync bounds the async runs in flight.
	MaxAsync int
	// BaseURL is the scheme and host that REQUEST_URL starts with, e.g.
	// "https://faas.example.com". Optional.
	BaseURL string
}

// Runtime runs functions as local processes. It is safe for concurrent use.
type Runtime struct {
	dir         string // FunctionsDir, absolute with symlinks resolved
	log         *slog.Logger
	maxOutput   int64
	maxPayload  int64
	baseURL     string
	limitMemory bool

	registry registry
	slots    limiter

	// background is the parent context of async runs; Close cancels it to
	// kill the runs still going when its own deadline has passed.
	background context.Context
	stopAll    context.CancelFunc
	asyncMu    sync.Mutex
	asyncRuns  sync.WaitGroup
	asyncCount int
	maxAsync   int
	closed     bool
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
		dir:        dir,
		log:        opts.Logger,
		maxOutput:  opts.MaxOutputBytes,
		maxPayload: opts.MaxPayloadBytes,
		maxAsync:   opts.MaxAsync,
		baseURL:    strings.TrimRight(opts.BaseURL, "/"),
		registry:   newRegistry(),
		slots:      limiter{slots: map[routeKey]*slot{}},
	}
	if rt.log == nil {
		rt.log = slog.Default()
	}
	if rt.maxOutput <= 0 {
		rt.maxOutput = DefaultMaxOutputBytes
	}
	if rt.maxPayload <= 0 {
		rt.maxPayload = DefaultMaxPayloadBytes
	}
	if rt.maxAsync <= 0 {
		rt.maxAsync = DefaultMaxAsync
	}
	if err := probeMemoryLimit(); err != nil {
		rt.log.Warn("local runtime: route memory is advisory, /bin/sh cannot set an address-space limit", "error", err)
	} else {
		rt.limitMemory = true
	}
	rt.background, rt.stopAll = context.WithCancel(context.Background())
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

// Close refuses new async calls and waits for the running ones until ctx
// ends; then it kills what remains and waits for the kills to complete.
func (rt *Runtime) Close(ctx context.Context) error {
	rt.asyncMu.Lock()
	rt.closed = true
	rt.asyncMu.Unlock()

	done := make(chan struct{})
	go func() {
		rt.asyncRuns.Wait()
		close(done)
	}()
	select {
	case <-done:
		rt.stopAll()
		return nil
	case <-ctx.Done():
		rt.stopAll()
		<-done
		return ctx.Err()
	}
}
