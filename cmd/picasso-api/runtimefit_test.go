package main

import (
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"

	"github.com/picasso-faas/picasso/internal/runtimefit"
)

// TestRuntimeIsFittedByDefault starts Picasso with its defaults: the start
// line says how the runtime is fitted, and this process's small heap gets
// the raised GOGC of --gc-heap-floor.
func TestRuntimeIsFittedByDefault(t *testing.T) {
	s := start(t, nil, devArgs(t)...)
	want := `"procs":"auto (1 to ` + strconv.Itoa(runtimefit.InitialProcs()) + `)"`
	if runtimefit.InitialProcs() == 1 {
		want = `"procs":"all (1)"`
	}
	logs := s.stdout.await("picasso-api ready")
	if !strings.Contains(logs, want) || !strings.Contains(logs, `"gc_heap_floor":"25165824"`) {
		t.Fatalf("start line without %s and the default heap floor:\n%s", want, logs)
	}
	waitFor(t, func() bool { return gogc() > 100 })
	_, _, metrics := s.request(t, "GET", "/metrics", "")
	for _, name := range []string{"go_sched_gomaxprocs_threads", "go_gc_gogc_percent"} {
		if !strings.Contains(metrics, "\n"+name+" ") {
			t.Errorf("/metrics has no %s", name)
		}
	}
}

// TestRuntimeVariablesAreTheOperators: GOMAXPROCS and GOGC in the
// environment win over --procs and --gc-heap-floor, and the start line
// says so.
func TestRuntimeVariablesAreTheOperators(t *testing.T) {
	s := start(t, map[string]string{"GOMAXPROCS": "2", "GOGC": "150"}, devArgs(t)...)
	logs := s.stdout.await("picasso-api ready")
	if !strings.Contains(logs, `"procs":"GOMAXPROCS=2"`) || !strings.Contains(logs, `"gc_heap_floor":"GOGC=150"`) {
		t.Fatalf("start line does not name the operator's variables:\n%s", logs)
	}
}

// gogc reads the collector's GOGC without setting it.
func gogc() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
