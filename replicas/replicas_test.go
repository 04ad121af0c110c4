package replicas_test

import (
	"context"
	"testing"
	"time"

	"github.com/picasso-faas/picasso/internal/testdb"
	"github.com/picasso-faas/picasso/replicas"
	"github.com/picasso-faas/picasso/store"
)

func TestReplicasCountEachOtherAndLeave(t *testing.T) {
	testdb.Each(t, func(t *testing.T, uri string) {
		db, err := store.Open(context.Background(), uri, store.Options{AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		cfg := replicas.Config{Heartbeat: 20 * time.Millisecond}
		cfg.ID = "one"
		one := replicas.New(cfg, db)
		cfg.ID = "two"
		two := replicas.New(cfg, db)
		if one.Live() != 1 {
			t.Fatalf("before any beat Live() = %d, want 1 (itself)", one.Live())
		}
		go one.Run(ctx)
		twoCtx, stopTwo := context.WithCancel(ctx)
		twoDone := make(chan struct{})
		go func() { defer close(twoDone); two.Run(twoCtx) }()
		waitFor(t, func() bool { return one.Live() == 2 && two.Live() == 2 })

		stopTwo()
		<-twoDone
		waitFor(t, func() bool { return one.Live() == 1 })
		if n, err := db.LiveReplicas(ctx); err != nil || n != 1 {
			t.Fatalf("LiveReplicas() = %d, %v after one left", n, err)
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 20 s")
		}
	}
}
