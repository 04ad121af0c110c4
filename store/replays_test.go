package store

import (
	"context"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

func TestRememberSignature(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, uri string) {
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		s, err := Open(context.Background(), uri, Options{AutoMigrate: true, Clock: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		ctx := context.Background()
		if err := s.RememberSignature(ctx, "wh:aa", now.Add(time.Minute)); err != nil {
			t.Fatalf("first: %v", err)
		}
		if err := s.RememberSignature(ctx, "wh:aa", now.Add(time.Minute)); !picasso.IsCode(err, picasso.ECONFLICT) {
			t.Fatalf("replay within its expiry: %v, want ECONFLICT", err)
		}
		if err := s.RememberSignature(ctx, "wh:bb", now.Add(time.Second)); err != nil {
			t.Fatalf("another key: %v", err)
		}
		now = now.Add(2 * time.Second)
		if n, err := s.PurgeSignatures(ctx, 10); err != nil || n != 1 {
			t.Fatalf("purge: %d, %v; want the one expired record", n, err)
		}
		if err := s.RememberSignature(ctx, "wh:aa", now.Add(time.Minute)); !picasso.IsCode(err, picasso.ECONFLICT) {
			t.Fatalf("the live record was purged: %v", err)
		}
		now = now.Add(time.Minute)
		if err := s.RememberSignature(ctx, "wh:aa", now.Add(time.Minute)); err != nil {
			t.Fatalf("an expired record not taken over: %v", err)
		}
	})
}
