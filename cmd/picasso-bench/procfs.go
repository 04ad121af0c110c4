package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// cpuTime returns the user plus system CPU time the process has used, in
// nanoseconds: the kernel's process CPU clock (what clock_getcpuclockid
// gives) counts every thread, ended ones included, where the utime and
// stime of /proc/<pid>/stat are whole 10 ms ticks, too coarse for runs
// of a second.
func cpuTime(pid int) (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(processCPUClock(pid), &ts); err != nil {
		return 0, fmt.Errorf("CPU clock of process %d: %w", pid, err)
	}
	return time.Duration(ts.Nano()), nil
}

// processCPUClock is the clock id of a process's CPU time: the kernel
// encodes the pid as ^pid << 3, with CPUCLOCK_SCHED (2) in the low bits
// and the per-thread bit (4) clear.
func processCPUClock(pid int) int32 { return int32(^pid<<3 | 2) }

// treeCPUTime returns the CPU time of the process and of all its
// descendants alive now: nginx serves from worker processes that its
// master forks, and its cost per call is theirs plus the master's.
func treeCPUTime(root int) (time.Duration, error) {
	total, err := cpuTime(root)
	if err != nil {
		return 0, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // ended meanwhile
		}
		ppid, err := parentPID(raw)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		children[ppid] = append(children[ppid], pid)
	}
	for queue := children[root]; len(queue) > 0; queue = queue[1:] {
		t, err := cpuTime(queue[0])
		if err != nil {
			continue // ended meanwhile
		}
		total += t
		queue = append(queue, children[queue[0]]...)
	}
	return total, nil
}

// parentPID reads the parent pid from the content of a /proc/<pid>/stat.
func parentPID(raw []byte) (int, error) {
	// The command name may hold spaces and parentheses: fields are
	// counted from the last ')'.
	end := bytes.LastIndexByte(raw, ')')
	if end < 0 {
		return 0, errors.New("unexpected format")
	}
	// After the name come state (field 3) and ppid (4).
	fields := strings.Fields(string(raw[end+1:]))
	if len(fields) < 2 {
		return 0, errors.New("too few fields")
	}
	return strconv.Atoi(fields[1])
}

// memory returns the resident set size now and its peak, in bytes.
func memory(pid int) (rss, peak int64, err error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/status %s: %w", pid, name, err)
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return rss, peak, nil
}
