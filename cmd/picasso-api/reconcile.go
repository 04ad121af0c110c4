package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/reconcile"
	"github.com/picasso-faas/picasso/store"
)

// runReconcile reports the drift between the store and the backend as
// JSON lines, and repairs it with --repair. It exits non-zero when drift
// remains, so it can run from cron or a health check.
func runReconcile(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var repair bool
	cfg, err := parseConfig("picasso-api reconcile", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&repair, "repair", false, "fix every difference found instead of only reporting it")
	})
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if cfg.Backend == backendLocal {
		return errors.New("nothing to reconcile: the local runtime keeps no state of its own and is loaded from the database at every start")
	}
	db, err := store.Open(ctx, cfg.DBURI, store.Options{AutoMigrate: cfg.AutoMigrate})
	if err != nil {
		return err
	}
	defer db.Close()
	backend, err := newBackend(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer backend.Close(context.WithoutCancel(ctx))
	drifts, err := reconcile.Run(ctx, db, backend, repair)
	enc := json.NewEncoder(stdout)
	unrepaired := 0
	for _, d := range drifts {
		enc.Encode(d)
		if !d.Repaired {
			unrepaired++
		}
	}
	if err != nil {
		return fmt.Errorf("reconcile stopped: %s", picasso.ErrorMessage(err))
	}
	if unrepaired > 0 {
		return fmt.Errorf("%d differences between the store and the backend remain", unrepaired)
	}
	return nil
}
