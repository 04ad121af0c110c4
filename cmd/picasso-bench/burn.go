package main

import (
	"crypto/sha256"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// burnCPU computes (SHA-256 over its own output) until the calling
// thread has used d of CPU time. The thread's CPU clock, not the wall
// clock, ends it: on a busy machine the goroutine may be descheduled, and
// the backend must still spend d of CPU per call, as a real FaaS server
// spends its work whatever the load, not sleep part of it away. It
// returns the last digest, the work's result.
func burnCPU(d time.Duration) (h [sha256.Size]byte) {
	if d <= 0 {
		return h
	}
	// The thread's clock counts this goroutine only while it stays on
	// the thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPU()
	for threadCPU()-start < d {
		// About a few µs of hashing between two reads of the clock.
		for range 16 {
			h = sha256.Sum256(h[:])
		}
	}
	return h
}

// threadCPU is the CPU time the calling thread has used.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		// Linux has had this clock since 2.6.12; without it the
		// backend cannot model a cost, and a wrong model is worse than
		// a stop.
		panic("clock_gettime(CLOCK_THREAD_CPUTIME_ID): " + err.Error())
	}
	return time.Duration(ts.Nano())
}
