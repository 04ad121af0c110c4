package main

import (
	"log/slog"
	"regexp"
	"strconv"

	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/picasso-faas/picasso/internal/runtimefit"
)

const (
	procsAuto = "auto"
	procsAll  = "all"
)

// defaultHeapFloor is --gc-heap-floor's default: at the benchmark's load
// it cuts the collections of a 4 MB live heap by about five, for some
// 20 MB more memory under load and none at rest.
const defaultHeapFloor = 24 << 20

// fitRuntime fits the Go runtime to the load as --procs and
// --gc-heap-floor say, and returns how, for the start line, and what ends
// it. A GOMAXPROCS or GOGC in the environment is the operator's, applied
// by the runtime itself and left alone here.
func fitRuntime(cfg *config, logger *slog.Logger) (attrs []any, stop func()) {
	all := runtimefit.InitialProcs()
	o := runtimefit.Options{OnProcs: func(from, to int) {
		logger.Debug("scheduler CPUs follow the load", "from", from, "to", to)
	}}
	procs := procsAll + " (" + strconv.Itoa(all) + ")"
	switch {
	case cfg.GOMAXPROCSEnv != "":
		procs = "GOMAXPROCS=" + cfg.GOMAXPROCSEnv
	case cfg.Procs == procsAuto && all > 1:
		o.Procs = true
		procs = procsAuto + " (1 to " + strconv.Itoa(all) + ")"
	}
	heap := "GOGC=" + cfg.GOGCEnv
	if cfg.GOGCEnv == "" {
		o.HeapFloor = uint64(cfg.GCHeapFloor)
		heap = strconv.FormatInt(cfg.GCHeapFloor, 10)
	}
	return []any{"procs", procs, "gc_heap_floor", heap}, runtimefit.Start(o)
}

// fittedRuntimeMetrics adds to the Go collector's defaults what the
// fitting changes, so that an operator sees it: go_sched_gomaxprocs_threads
// and go_gc_gogc_percent.
var fittedRuntimeMetrics = collectors.WithGoCollectorRuntimeMetrics(collectors.GoRuntimeMetricsRule{
	Matcher: regexp.MustCompile(`^/sched/gomaxprocs:threads$|^/gc/gogc:percent$`),
})
