// Command picasso-bench measures Picasso against the floor any Go proxy
// has and the limit nginx shows: on one machine and in one run it starts a
// backend that answers like IronFunctions and costs about what it costs in
// CPU per call, and in front of it nginx, a bare
// net/http/httputil.ReverseProxy (with and without a BufferPool), Picasso
// and optionally an earlier Picasso (the baseline); it drives each with
// vegeta (interleaved, so machine drift cancels out) and prints
// throughput, latency percentiles, CPU per call of the proxy process,
// ratios paired by round, memory and start-up time as Markdown.
//
// The backend, the bare proxies and the fake Keystone are this same binary
// re-executed with a hidden first argument, so that each is a process of
// its own whose CPU time the kernel reports separately.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "picasso-bench: %v\n", err)
		os.Exit(1)
	}
}

// Hidden first arguments that turn the binary into one of the helper
// processes of a run.
const (
	roleBackend   = "backend"
	roleBareProxy = "bareproxy"
	roleKeystone  = "keystone"
)

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case roleBackend:
			return runBackend(ctx, args[1:], stdout)
		case roleBareProxy:
			return runBareProxy(ctx, args[1:], stdout)
		case roleKeystone:
			return runFakeKeystone(ctx, stdout)
		case roleQueue:
			return runQueueBench(ctx, args[1:], stdout, stderr)
		case roleRuntimes:
			return runRuntimesBench(ctx, args[1:], stdout)
		}
	}
	opts, err := parseOptions(args, getenv, stderr)
	if err != nil {
		return err
	}
	if opts == nil {
		return nil // --help
	}
	return bench(ctx, opts, stdout, stderr)
}
