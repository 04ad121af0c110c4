// Command picasso-api runs the Picasso gateway, and its maintenance
// commands: migrate (database schema), reconcile (store vs backend) and
// healthcheck (the running server's readiness, for containers).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "picasso-api: %v\n", err)
		os.Exit(1)
	}
}
