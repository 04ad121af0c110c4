package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/local"
)

// sandboxCallsPerRound is how many calls each runtime gets per round.
const sandboxCallsPerRound = 100

// sandboxReport is the per-call cost of the local runtime's sandbox: the
// same trivial function through an unsandboxed runtime and a bwrap one.
type sandboxReport struct {
	unsandboxed, sandboxed *stats
	describe               string // what the sandbox enforced, or why it could not run
}

// okFunction is the function both runtimes run: one shell, no child, so
// that the difference is the sandbox's start and teardown.
const okFunction = "#!/bin/sh\necho ok\n"

// measureSandbox calls both runtimes in turn, one call at a time, for
// o.Rounds rounds after a warm-up.
func measureSandbox(ctx context.Context, o *options, dir string) (*sandboxReport, error) {
	functions := filepath.Join(dir, "functions")
	if err := os.MkdirAll(functions, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(functions, "ok"), []byte(okFunction), 0o755); err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	plain, err := local.New(local.Options{FunctionsDir: functions, Logger: quiet, Sandbox: local.SandboxNone})
	if err != nil {
		return nil, err
	}
	defer plain.Close(ctx)
	var logs strings.Builder
	sandboxed, err := local.New(local.Options{FunctionsDir: functions, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		return &sandboxReport{describe: "not measured: " + err.Error()}, nil
	}
	defer sandboxed.Close(ctx)

	r := &sandboxReport{unsandboxed: &stats{}, sandboxed: &stats{}, describe: sandboxLine(logs.String())}
	runtimes := []*local.Runtime{plain, sandboxed}
	into := []*stats{r.unsandboxed, r.sandboxed}
	for i, rt := range runtimes {
		if err := invokeTimes(ctx, rt, 10, &stats{}); err != nil {
			return nil, fmt.Errorf("sandbox warm-up %d: %w", i, err)
		}
	}
	for round := 0; round < o.Rounds; round++ {
		for i, rt := range runtimes {
			if err := invokeTimes(ctx, rt, sandboxCallsPerRound, into[i]); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

// invokeTimes calls the ok function n times and records each latency
// and the CPU time of the calls' processes: every one of them is waited
// for by its parent, so it adds to this process's RUSAGE_CHILDREN.
func invokeTimes(ctx context.Context, rt *local.Runtime, n int, into *stats) error {
	cpuBefore, err := childrenCPU()
	if err != nil {
		return err
	}
	defer func() {
		if cpuAfter, err := childrenCPU(); err == nil {
			into.cpu += cpuAfter - cpuBefore
		}
	}()
	route := &picasso.Route{Path: "/ok", Image: "ok"}
	route.ApplyDefaults()
	app := &picasso.App{Name: "bench", BackendName: picasso.BackendName("bench", "bench")}
	for range n {
		call := &picasso.Call{App: app, Route: route, Method: "POST", Header: map[string][]string{}, Body: strings.NewReader("")}
		start := time.Now()
		res, err := rt.Invoke(ctx, call)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err != nil {
			return err
		}
		elapsed := time.Since(start)
		into.requests++
		into.ok++
		into.elapsed += elapsed
		into.latencies = append(into.latencies, elapsed)
		into.sorted = false
	}
	return nil
}

func childrenCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// sandboxLine keeps the runtime's own description of its sandbox (the
// "every call runs in its own sandbox" log line, without the time).
func sandboxLine(logs string) string {
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "its own sandbox") {
			if _, rest, ok := strings.Cut(line, "sandbox=bwrap"); ok {
				return "bwrap" + rest
			}
		}
	}
	return "bwrap"
}

// markdown renders the sandbox section of the report.
func (r *sandboxReport) markdown(o *options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n6. Local runtime, sandbox cost per call (%d rounds × %d sequential calls of a one-line shell function per runtime, interleaved; sandbox: %s):\n\n",
		o.Rounds, sandboxCallsPerRound, r.describe)
	if r.sandboxed == nil {
		return b.String()
	}
	b.WriteString("| Runtime | p50 | p90 | p99 | max | CPU per call (its processes) |\n|---|---:|---:|---:|---:|---:|\n")
	for i, s := range []*stats{r.unsandboxed, r.sandboxed} {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %.2f ms |\n", []string{"unsandboxed (--local-sandbox=none)", "bwrap"}[i],
			ms(s.percentile(.5)), ms(s.percentile(.9)), ms(s.percentile(.99)), ms(s.percentile(1)), s.cpuPer1k())
	}
	added := r.sandboxed.percentile(.5) - r.unsandboxed.percentile(.5)
	fmt.Fprintf(&b, "\nThe sandbox adds %s at p50 (target ≤ 10 ms: %s), %s at p99.\n",
		ms(added), pass(added <= 10*time.Millisecond), ms(r.sandboxed.percentile(.99)-r.unsandboxed.percentile(.99)))
	return b.String()
}
