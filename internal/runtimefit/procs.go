package runtimefit

import (
	"math"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// busyShare is the share of a processor's time the process may use on
// average before it gets another: below it the processors idle so often
// that the hunt for work dominates; above it, bursts queue for a
// processor.
const busyShare = 0.6

// shrinkAfter is how many samples in a row must ask for fewer processors
// before they are taken away; more are added at the first sample that
// asks for them, since a queue of runnable goroutines is latency.
const shrinkAfter = 10

// procsFit makes GOMAXPROCS follow the CPU the process uses.
type procsFit struct {
	found, current, limit, low int
	onChange                   func(from, to int)
	clock                      func() time.Duration
	lastCPU                    time.Duration
	lastWall                   time.Time
}

func newProcsFit(found int, o Options) *procsFit {
	limit := o.MaxProcs
	if limit <= 0 {
		limit = initialProcs
	}
	clock := o.cpuClock
	if clock == nil {
		clock = processCPU
	}
	return &procsFit{found: found, current: found, limit: limit, onChange: o.OnProcs, clock: clock, lastCPU: clock(), lastWall: time.Now()}
}

func (f *procsFit) sample(now time.Time) {
	cpu := f.clock()
	used := float64(cpu-f.lastCPU) / float64(now.Sub(f.lastWall))
	f.lastCPU, f.lastWall = cpu, now
	var next int
	next, f.low = decideProcs(used, f.current, f.limit, f.low)
	if next == f.current {
		return
	}
	runtime.GOMAXPROCS(next)
	if f.onChange != nil {
		f.onChange(f.current, next)
	}
	f.current = next
}

// decideProcs returns the processors for a load of used CPUs (averaged
// over one sample), given the current count and how many samples in a
// row asked for fewer before this one.
func decideProcs(used float64, current, limit, lowSamples int) (next, low int) {
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

// processCPU is the CPU time of every thread of the process so far: user
// and system time, in nanoseconds.
func processCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
