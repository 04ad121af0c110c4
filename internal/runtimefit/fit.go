// Package runtimefit fits the Go runtime to the load of the process: the
// scheduler's processors (GOMAXPROCS) to the CPU it keeps busy, and the
// garbage collector's heap goal to a floor below which collecting more
// often saves nothing worth its CPU.
//
// Both defaults of the runtime are tuned for programs unlike a gateway,
// whose calls are short bursts of work between waits on the network and
// whose live heap is a few megabytes while it allocates tens of
// megabytes a second. Measured in docs/benchmarks.md:
//   - every processor the scheduler has but cannot keep busy makes the
//     runtime wake a thread to hunt for work whenever a goroutine becomes
//     runnable, which mostly finds none; at moderate load that hunt cost
//     a quarter of a call's CPU;
//   - with a 4 MB live heap, the default goal of twice the live heap runs
//     a collection every few megabytes allocated, several a second.
package runtimefit

import (
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// DefaultInterval is how often the load is sampled: short enough that a
// burst finds more processors within a few tenths of a second, long
// enough that sampling costs nothing.
const DefaultInterval = 100 * time.Millisecond

// Options say what to fit; the zero value fits nothing.
type Options struct {
	// Procs makes GOMAXPROCS follow the load, between 1 and MaxProcs.
	Procs bool
	// MaxProcs is the most processors; InitialProcs when 0.
	MaxProcs int
	// HeapFloor, when not 0, is the heap in bytes the collector lets the
	// program reach before it collects; above it, the runtime's own goal
	// (GOGC, twice the live heap by default) applies.
	HeapFloor uint64
	// Interval is the sampling period; DefaultInterval when 0.
	Interval time.Duration
	// OnProcs, when set, is told of every change of GOMAXPROCS.
	OnProcs func(from, to int)

	// cpuClock replaces processCPU in tests, which cannot count on a
	// machine's CPU to burn.
	cpuClock func() time.Duration
}

// initialProcs is the runtime's GOMAXPROCS when the process started,
// before anything here changed it.
var initialProcs = runtime.GOMAXPROCS(0)

// InitialProcs is the runtime's own GOMAXPROCS for this process: every
// CPU it may use (a container's CPU limit included), or the GOMAXPROCS
// variable.
func InitialProcs() int { return initialProcs }

var (
	mu      sync.Mutex
	users   int
	stopper func()
)

// Start fits the runtime until stop is called; stop restores the
// GOMAXPROCS and GOGC it found. The most processors are those of the
// process's start: a container's CPU limit changed while it runs, which
// the runtime would otherwise follow, is not. The runtime is the process's, so callers
// share one sampler: the first Start runs it with its options, later ones
// join it, and the last stop ends it. A GOMAXPROCS or GOGC set in the
// environment is the operator's choice, which the caller leaves alone.
// Options that fit nothing start nothing.
func Start(o Options) (stop func()) {
	if !o.Procs && o.HeapFloor == 0 {
		return func() {}
	}
	mu.Lock()
	defer mu.Unlock()
	if users == 0 {
		stopper = start(o)
	}
	users++
	var once sync.Once
	return func() {
		once.Do(func() {
			mu.Lock()
			defer mu.Unlock()
			if users--; users == 0 {
				stopper()
			}
		})
	}
}

func start(o Options) func() {
	var procs *procsFit
	if o.Procs {
		procs = newProcsFit(runtime.GOMAXPROCS(0), o)
	}
	var heap *heapFit
	if o.HeapFloor > 0 {
		// SetGCPercent is the only exact reading of GOGC ("off" too).
		found := debug.SetGCPercent(-1)
		debug.SetGCPercent(found)
		heap = newHeapFit(found, o.HeapFloor)
	}
	interval := o.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-ticker.C:
				if procs != nil {
					procs.sample(now)
				}
				if heap != nil {
					heap.sample()
				}
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
		if procs != nil {
			runtime.GOMAXPROCS(procs.found)
		}
		if heap != nil {
			debug.SetGCPercent(heap.base)
		}
	}
}
