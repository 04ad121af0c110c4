package local

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// processesWithEnv returns the pids of live processes whose environment
// holds the variable assignment, e.g. "MARKER=1234". Zombies have no
// environment left and are not counted: they no longer run, and reaping
// orphans is the job of the system's init, not of the runtime.
func processesWithEnv(t *testing.T, assignment string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		environ, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue // exited meanwhile, or not ours
		}
		for _, v := range bytes.Split(environ, []byte{0}) {
			if string(v) == assignment && !isZombie(pid) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

func isZombie(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true // gone
	}
	// The state follows the command name, which is in parentheses.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] == "Z"
}

// waitForProcesses polls until at least n live processes carry the
// assignment and returns them.
func waitForProcesses(t *testing.T, assignment string, n int) []int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids := processesWithEnv(t, assignment)
		if len(pids) >= n {
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("found %d processes with %s, want %d", len(pids), assignment, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitGone polls until no live process carries the assignment.
func waitGone(t *testing.T, assignment string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids := processesWithEnv(t, assignment)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes left behind: %v", pids)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
