package runtimefit

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestGCPercent(t *testing.T) {
	const mib = 1 << 20
	cases := []struct {
		name        string
		live, floor uint64
		base, want  int
	}{
		{"a small heap reaches the floor", 4 * mib, 24 * mib, 100, 500},
		{"a tiny heap stops where the runtime's minimum goal is the floor", 1 * mib, 24 * mib, 100, 600},
		{"an empty heap too", 0, 24 * mib, 100, 600},
		{"a heap at half the floor keeps the default", 12 * mib, 24 * mib, 100, 100},
		{"a heap above the floor keeps the default", 40 * mib, 24 * mib, 100, 100},
		{"the operator's higher GOGC is never lowered", 4 * mib, 24 * mib, 800, 800},
		{"values are rounded down to steps", 5 * mib, 24 * mib, 100, 350},
	}
	for _, c := range cases {
		if got := gcPercent(c.live, c.floor, c.base); got != c.want {
			t.Errorf("%s: gcPercent(%d, %d, %d) = %d, want %d", c.name, c.live, c.floor, c.base, got, c.want)
		}
	}
}

// TestHeapFloorRaisesGOGC runs the real sampler on this test process,
// whose live heap is far below 64 MiB, and checks that the collector's
// GOGC goes up, then comes back when the fitting stops.
func TestHeapFloorRaisesGOGC(t *testing.T) {
	found := debug.SetGCPercent(100)
	defer debug.SetGCPercent(found)
	stop := Start(Options{HeapFloor: 64 << 20, Interval: 10 * time.Millisecond})
	defer stop()
	waitFor(t, "GOGC above 100", func() bool { return gogc() > 100 })
	stop()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after stop: GOGC %d, want the 100 it found", got)
	}
}

// gogc reads GOGC without setting it, as SetGCPercent would.
func gogc() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestEachFitLeavesTheOtherAlone: fitting processors only never sets
// GOGC, fitting the heap only never sets GOMAXPROCS.
func TestEachFitLeavesTheOtherAlone(t *testing.T) {
	foundGC := debug.SetGCPercent(150)
	defer debug.SetGCPercent(foundGC)
	foundProcs := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(foundProcs)

	cpu := &fakeCPU{since: time.Now()}
	stop := Start(Options{Procs: true, MaxProcs: 2, Interval: 10 * time.Millisecond, cpuClock: cpu.read})
	waitFor(t, "one processor while idle", func() bool { return runtime.GOMAXPROCS(0) == 1 })
	stop()
	if got := gogc(); got != 150 {
		t.Errorf("fitting processors changed GOGC to %d", got)
	}

	runtime.GOMAXPROCS(2)
	stop = Start(Options{HeapFloor: 64 << 20, Interval: 10 * time.Millisecond})
	waitFor(t, "GOGC above 150", func() bool { return gogc() > 150 })
	if got := runtime.GOMAXPROCS(0); got != 2 {
		t.Errorf("fitting the heap changed GOMAXPROCS to %d", got)
	}
	stop()
	if got := gogc(); got != 150 {
		t.Errorf("after stop: GOGC %d, want the 150 it found", got)
	}
}
