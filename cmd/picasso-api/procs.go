package main

import (
	"log/slog"
	"runtime"
	"strconv"

	"github.com/picasso-faas/picasso/internal/gomaxprocs"
)

const (
	procsAuto = "auto"
	procsAll  = "all"
)

// followLoad sizes the Go scheduler as --procs says, and returns how, for
// the start line, and what ends it. With GOMAXPROCS in the environment,
// the runtime has already applied the operator's number.
func followLoad(cfg *config, logger *slog.Logger) (procs string, stop func()) {
	all := runtime.GOMAXPROCS(0)
	switch {
	case cfg.GOMAXPROCSEnv != "":
		return "GOMAXPROCS=" + cfg.GOMAXPROCSEnv, func() {}
	case cfg.Procs == procsAll || all == 1:
		return procsAll + " (" + strconv.Itoa(all) + ")", func() {}
	}
	stop = gomaxprocs.Follow(gomaxprocs.Options{OnChange: func(from, to int) {
		logger.Debug("scheduler CPUs follow the load", "from", from, "to", to)
	}})
	return procsAuto + " (1 to " + strconv.Itoa(all) + ")", stop
}
