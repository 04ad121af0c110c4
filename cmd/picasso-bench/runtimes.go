package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/local"
)

// roleRuntimes is the first argument of the language-runtime benchmark.
const roleRuntimes = "runtimes"

// codeSources are the functions the runtime benchmark uploads: each
// answers a constant, so that the figures are the runtime's own cost.
var codeSources = map[string][2]string{
	"python3": {"main.py", "def handler(event, context):\n    return 'ok'\n"},
	"nodejs":  {"index.js", "exports.handler = async (event, context) => 'ok';\n"},
}

// runRuntimesBench measures, in the sandboxed local runtime, a call of
// an executable (a process per call) against cold and warm calls of
// Python and Node handlers, one call at a time.
func runRuntimesBench(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(roleRuntimes, flag.ContinueOnError)
	calls := fs.Int("calls", 300, "warm calls per runtime")
	cold := fs.Int("cold", 30, "cold calls per runtime")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "picasso-bench-runtimes-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	functions := filepath.Join(dir, "functions")
	if err := os.MkdirAll(functions, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(functions, "ok"), []byte(okFunction), 0o755); err != nil {
		return err
	}
	rt, err := local.New(local.Options{FunctionsDir: functions, CodeCacheDir: filepath.Join(dir, "code"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	defer rt.Close(ctx)
	app := &picasso.App{Name: "bench", BackendName: picasso.BackendName("bench", "bench")}

	exe := &picasso.Route{Path: "/ok", Image: "ok"}
	exe.ApplyDefaults()
	exeStats, err := timeCalls(ctx, rt, app, exe, *calls, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Local runtime (bwrap sandbox), one call at a time; p50 / p90 / p99:\n\n")
	fmt.Fprintf(stdout, "| Call | calls | p50 | p90 | p99 |\n|---|---:|---:|---:|---:|\n")
	fmt.Fprintf(stdout, "| executable (process per call) | %d | %s |\n", *calls, percentiles(exeStats))
	var pythonWarm []time.Duration
	for _, name := range []string{"python3", "nodejs"} {
		src := codeSources[name]
		route := &picasso.Route{AppID: "bench", Path: "/" + name, Runtime: name, CreatedAt: time.Now()}
		route.ApplyDefaults()
		sum := sha256.Sum256([]byte(src[1]))
		v := &picasso.CodeVersion{AppID: "bench", Path: route.Path, Version: 1, SHA256: hex.EncodeToString(sum[:]),
			Size: int64(len(src[1])), Format: picasso.CodeFile, FileName: src[0]}
		if err := rt.PrepareCode(ctx, v, []byte(src[1])); err != nil {
			return err
		}
		route.CodeVersion = 1
		rt.RememberCodeVersion(route, v)
		// A new UpdatedAt is a new worker key: every such call starts a
		// fresh worker, which is what a cold call is.
		coldStats, err := timeCalls(ctx, rt, app, route, *cold, func() { route.UpdatedAt = time.Now() })
		if err != nil {
			return fmt.Errorf("%s cold: %w", name, err)
		}
		warmStats, err := timeCalls(ctx, rt, app, route, *calls, nil)
		if err != nil {
			return fmt.Errorf("%s warm: %w", name, err)
		}
		fmt.Fprintf(stdout, "| %s cold (new worker) | %d | %s |\n", name, *cold, percentiles(coldStats))
		fmt.Fprintf(stdout, "| %s warm | %d | %s |\n", name, *calls, percentiles(warmStats))
		if name == "python3" {
			pythonWarm = warmStats
		}
	}
	added := pct(pythonWarm, .5) - pct(exeStats, .5)
	fmt.Fprintf(stdout, "\nA warm Python call adds %s at p50 over an executable call (target ≤ 2 ms: %s).\n", ms(added), pass(added <= 2*time.Millisecond))
	return nil
}

// timeCalls runs n calls of route, calling before (if set) ahead of each.
func timeCalls(ctx context.Context, rt *local.Runtime, app *picasso.App, route *picasso.Route, n int, before func()) ([]time.Duration, error) {
	var out []time.Duration
	for range n {
		if before != nil {
			before()
		}
		call := &picasso.Call{App: app, Route: route, Method: "POST", Header: map[string][]string{}, Body: strings.NewReader("")}
		start := time.Now()
		res, err := rt.Invoke(ctx, call)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		out = append(out, time.Since(start))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func percentiles(sorted []time.Duration) string {
	return ms(pct(sorted, .5)) + " | " + ms(pct(sorted, .9)) + " | " + ms(pct(sorted, .99))
}
