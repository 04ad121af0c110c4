package runtimefit

import (
	"runtime/debug"
	"runtime/metrics"
)

// heapMinimum is the runtime's smallest heap goal at GOGC=100; it scales
// with GOGC, so a GOGC above floor/heapMinimum×100 would set a goal
// above the floor even for an empty heap.
const heapMinimum = 4 << 20

// gcStep rounds the GOGC set, so that a live heap moving by a few bytes
// does not change it at every sample.
const gcStep = 50

// heapFit raises GOGC while the live heap is small, so that the heap goal
// is the floor instead of twice a few megabytes.
type heapFit struct {
	base, current int
	floor         uint64
	live          []metrics.Sample
}

func newHeapFit(found int, floor uint64) *heapFit {
	return &heapFit{base: found, current: found, floor: floor,
		live: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
}

func (f *heapFit) sample() {
	metrics.Read(f.live)
	if f.live[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	if next := gcPercent(f.live[0].Value.Uint64(), f.floor, f.base); next != f.current {
		debug.SetGCPercent(next)
		f.current = next
	}
}

// gcPercent is the GOGC whose goal, live×(1+GOGC/100), reaches floor;
// never below base (the runtime's own GOGC), and never so high that the
// runtime's minimum goal passes the floor.
func gcPercent(live, floor uint64, base int) int {
	highest := int(floor * 100 / heapMinimum)
	want := highest
	if live > 0 {
		want = int(min(floor*100/live, uint64(highest)+100)) - 100
	}
	return max(min(want/gcStep*gcStep, highest), base)
}
