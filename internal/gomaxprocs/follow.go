// Package gomaxprocs sizes the Go scheduler to the load: as many
// processors (GOMAXPROCS) as the process keeps busy, up to the runtime's
// default.
//
// Every processor the scheduler has but cannot keep busy costs CPU: when
// a goroutine becomes runnable and a processor is idle, the runtime wakes
// a thread to look for work on it, which mostly finds none and sleeps
// again. A gateway's calls are short bursts of work between waits on the
// network, so at moderate load that hunt for work costs about as much as
// the calls themselves (docs/benchmarks.md). Following the load keeps the
// hunt small when the load is small, and still gives a busy gateway every
// CPU it may use.
package gomaxprocs

import (
	"math"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultInterval is how often the load is sampled: short enough that a
// burst finds more processors within a few tenths of a second, long
// enough that sampling costs nothing.
const DefaultInterval = 100 * time.Millisecond

// Options tune a Follower; the zero value is the default.
type Options struct {
	// Max is the most processors; the runtime's GOMAXPROCS when Follow
	// starts (every CPU the process may use) when 0.
	Max int
	// Interval is the sampling period; DefaultInterval when 0.
	Interval time.Duration
	// OnChange, when set, is told of every change.
	OnChange func(from, to int)
}

// busyShare is the share of a processor's time the process may use on
// average before it gets another: below it the processors idle so often
// that the hunt for work dominates; above it, bursts queue for a
// processor.
const busyShare = 0.6

// shrinkAfter is how many samples in a row must ask for fewer processors
// before they are taken away; more are added at the first sample that
// asks for them, since a queue of runnable goroutines is latency.
const shrinkAfter = 10

// decide returns the processors for a load of used CPUs (averaged over
// one sample), given the current count and how many samples in a row
// asked for fewer before this one.
func decide(used float64, current, limit, lowSamples int) (next, low int) {
	want := min(max(int(math.Ceil(used/busyShare)), 1), limit)
	switch {
	case want > current:
		return want, 0
	case want == current:
		return current, 0
	case lowSamples+1 < shrinkAfter:
		return current, lowSamples + 1
	}
	return want, 0
}

var (
	mu      sync.Mutex
	users   int
	stopper func()
)

// Follow starts following the load; stop ends it and restores the count
// it found. The scheduler is the process's, so followers share one
// sampler: the first Follow starts it with its options, later ones join
// it, and the last stop ends it. A GOMAXPROCS set in the environment is
// the operator's choice, which the caller leaves alone.
func Follow(o Options) (stop func()) {
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
	found := runtime.GOMAXPROCS(0)
	limit := o.Max
	if limit <= 0 {
		limit = found
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
		current, low := found, 0
		lastCPU, lastWall := processCPU(), time.Now()
		for {
			select {
			case <-done:
				return
			case now := <-ticker.C:
				cpu := processCPU()
				used := float64(cpu-lastCPU) / float64(now.Sub(lastWall))
				lastCPU, lastWall = cpu, now
				var next int
				next, low = decide(used, current, limit, low)
				if next != current {
					runtime.GOMAXPROCS(next)
					if o.OnChange != nil {
						o.OnChange(current, next)
					}
					current = next
				}
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
		runtime.GOMAXPROCS(found)
	}
}

// processCPU is the CPU time of every thread of the process so far: user
// and system time, in nanoseconds.
func processCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
