// Command picasso-api runs the Picasso gateway, and its maintenance
// commands: migrate (database schema) and reconcile (store vs backend).
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
