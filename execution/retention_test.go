package execution_test

import (
	"context"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/execution"
	"github.com/picasso-faas/picasso/internal/testdb"
	"github.com/picasso-faas/picasso/store"
)

func TestPurgeDeletesOldFinalCallsOneReplicaAtATime(t *testing.T) {
	testdb.Each(t, func(t *testing.T, uri string) {
		ctx := context.Background()
		db, err := store.Open(ctx, uri, store.Options{AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var finished []string
		for i := 0; i < 5; i++ {
			call, _, err := db.InsertCall(ctx, &picasso.CallRecord{ProjectID: project, AppID: "a", AppName: "a",
				RoutePath: "/r", Trigger: picasso.TriggerHTTP, MaxAttempts: 1, Timeout: time.Second,
				Request: picasso.CallRequest{Method: "POST"}}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if i < 4 {
				if _, err := db.CancelCall(ctx, project, call.ID); err != nil {
					t.Fatal(err)
				}
				finished = append(finished, call.ID)
			}
		}
		// Retention of a nanosecond: everything final is old.
		cfg := execution.PurgerConfig{Retention: time.Nanosecond, Interval: time.Hour, Batch: 3}
		a, b := cfg, cfg
		a.Owner, b.Owner = "replica-a", "replica-b"
		first := execution.NewPurger(a, db, db)
		second := execution.NewPurger(b, db, db)
		time.Sleep(time.Millisecond)

		n, err := first.PurgeOnce(ctx)
		if err != nil || n != 4 {
			t.Fatalf("purged %d, %v; want the 4 final calls in batches of 3", n, err)
		}
		if n, err := second.PurgeOnce(ctx); err != nil || n != 0 {
			t.Errorf("a second replica purged %d, %v while the first holds the lease", n, err)
		}
		left, err := db.ListCalls(ctx, project, picasso.CallFilter{}, picasso.Page{})
		if err != nil || len(left) != 1 || left[0].Status != picasso.CallQueued {
			t.Errorf("left after the purge: %v, %v", left, err)
		}
	})
}
