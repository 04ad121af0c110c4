package runtimefit

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestDecideProcs(t *testing.T) {
	cases := []struct {
		name                   string
		used                   float64
		current, limit, low    int
		wantNext, wantLowAfter int
	}{
		{"idle keeps one", 0, 1, 8, 0, 1, 0},
		{"a busy processor gets a second at once", 0.9, 1, 8, 0, 2, 0},
		{"a saturated pair doubles", 2.0, 2, 8, 0, 4, 0},
		{"growth stops at the limit", 7.9, 4, 8, 0, 8, 0},
		{"a load that fits keeps the count and forgets low samples", 1.1, 2, 8, 5, 2, 0},
		{"a low sample is counted, not acted on", 0.2, 4, 8, 0, 4, 1},
		{"the last low sample shrinks to what the load needs", 0.2, 4, 8, shrinkAfter - 1, 1, 0},
		{"the limit wins over a low current count", 0, 1, 1, 0, 1, 0},
	}
	for _, c := range cases {
		next, low := decideProcs(c.used, c.current, c.limit, c.low)
		if next != c.wantNext || low != c.wantLowAfter {
			t.Errorf("%s: decideProcs(%v, %d, %d, %d) = %d, %d; want %d, %d",
				c.name, c.used, c.current, c.limit, c.low, next, low, c.wantNext, c.wantLowAfter)
		}
	}
}

// fakeCPU is a process CPU clock that advances by busy CPUs for every
// second of wall time.
type fakeCPU struct {
	mu    sync.Mutex
	busy  float64
	used  time.Duration
	since time.Time
}

func (c *fakeCPU) read() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	c.used += time.Duration(c.busy * float64(now.Sub(c.since)))
	c.since = now
	return c.used
}

func (c *fakeCPU) setBusy(cpus float64) {
	c.read()
	c.mu.Lock()
	c.busy = cpus
	c.mu.Unlock()
}

// TestFollowsTheLoad runs the sampler on this process's scheduler, with
// the load told by a fake CPU clock: idle, it drops to one processor;
// two CPUs busy, it gets two back; stopped, it restores what it found.
func TestFollowsTheLoad(t *testing.T) {
	found := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(found)
	cpu := &fakeCPU{since: time.Now()}
	stop := Start(Options{Procs: true, MaxProcs: 2, Interval: 10 * time.Millisecond, cpuClock: cpu.read})
	defer stop()
	waitFor(t, "one processor while idle", func() bool { return runtime.GOMAXPROCS(0) == 1 })

	cpu.setBusy(2)
	waitFor(t, "two processors under load", func() bool { return runtime.GOMAXPROCS(0) == 2 })

	stop()
	if got := runtime.GOMAXPROCS(0); got != 2 {
		t.Errorf("after stop: GOMAXPROCS %d, want the 2 it found", got)
	}
}

// TestProcessCPUCountsThisProcess spins until the process's CPU clock has
// counted 5 ms of it, which a clock that does not count this process
// never does.
func TestProcessCPUCountsThisProcess(t *testing.T) {
	before := processCPU()
	for deadline := time.Now().Add(5 * time.Second); processCPU()-before < 5*time.Millisecond; {
		if time.Now().After(deadline) {
			t.Fatalf("5 s of spinning counted as %v of CPU", processCPU()-before)
		}
	}
}

func TestNothingToFitStartsNothing(t *testing.T) {
	stop := Start(Options{})
	mu.Lock()
	running := users
	mu.Unlock()
	stop()
	if running != 0 {
		t.Fatalf("Start with nothing to fit counted %d users", running)
	}
}

func TestCallersShareOneSampler(t *testing.T) {
	stopA := Start(Options{Procs: true, Interval: time.Hour})
	stopB := Start(Options{Procs: true, Interval: time.Hour})
	stopA()
	stopA() // a second stop of the same caller is not another user's
	mu.Lock()
	left := users
	mu.Unlock()
	if left != 1 {
		t.Fatalf("after one caller stopped: %d users, want 1", left)
	}
	stopB()
	mu.Lock()
	left = users
	mu.Unlock()
	if left != 0 {
		t.Fatalf("after both stopped: %d users, want 0", left)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 10s (GOMAXPROCS %d)", what, runtime.GOMAXPROCS(0))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
