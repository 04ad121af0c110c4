package store

import (
	"context"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

// finishWithCallback enqueues a call with a callback URL, runs it and
// records outcome; it returns the finished call.
func finishWithCallback(t *testing.T, s *DB, outcome picasso.CallOutcome) *picasso.CallRecord {
	t.Helper()
	rec := testCall(projectA, "app1")
	rec.CallbackURL = "https://hooks.example.com/done?token=s3cret"
	mustInsertCall(t, s, rec)
	call := claimOne(t, s, "w1")
	mustDo(t, s.FinishCall(context.Background(), call, outcome))
	return call
}

func claimCallbacks(t *testing.T, s *DB, lease time.Duration) []*picasso.CallRecord {
	t.Helper()
	calls, err := s.ClaimCallbacks(context.Background(), 10, lease)
	mustDo(t, err)
	return calls
}

func wantPending(t *testing.T, s *DB, want int) {
	t.Helper()
	stats, err := s.CallStats(context.Background())
	mustDo(t, err)
	if stats.CallbacksPending != want {
		t.Errorf("CallStats counts %d pending callbacks, want %d", stats.CallbacksPending, want)
	}
}

func TestFinalCallsQueueTheirCallbacks(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		// A call without a callback URL queues nothing; nor does an
		// attempt that will be retried.
		mustInsertCall(t, s, testCall(projectA, "app1"))
		mustDo(t, s.FinishCall(ctx, claimOne(t, s, "w1"), picasso.CallOutcome{Status: picasso.CallSucceeded}))
		retried := finishWithCallback(t, s, picasso.CallOutcome{Status: picasso.CallFailed, NotBefore: time.Now().Add(time.Hour)})
		if retried.CallbackStatus != picasso.CallbackNone {
			t.Errorf("a call to be retried has callback %q", retried.CallbackStatus)
		}
		if due := claimCallbacks(t, s, time.Minute); len(due) != 0 {
			t.Fatalf("callbacks due without a final call with a URL: %v", callIDs(due))
		}

		done := finishWithCallback(t, s, picasso.CallOutcome{Status: picasso.CallSucceeded, HTTPStatus: 200, Result: []byte("out")})
		if done.CallbackStatus != picasso.CallbackPending {
			t.Errorf("the finished call says callback %q, want pending", done.CallbackStatus)
		}
		got, err := s.GetCall(ctx, projectA, done.ID)
		mustDo(t, err)
		if got.CallbackStatus != picasso.CallbackPending || got.CallbackAttempts != 0 {
			t.Errorf("stored callback %q after %d attempts, want pending after 0", got.CallbackStatus, got.CallbackAttempts)
		}
		wantPending(t, s, 1)
		due := claimCallbacks(t, s, time.Minute)
		if len(due) != 1 || due[0].ID != done.ID || due[0].CallbackAttempts != 1 || string(due[0].Result) != "out" ||
			due[0].Status != picasso.CallSucceeded || due[0].CallbackURL == "" {
			t.Fatalf("claimed %+v, want the finished call's first attempt with its result", due)
		}
		if again := claimCallbacks(t, s, time.Minute); len(again) != 0 {
			t.Fatalf("a callback being sent was claimed again")
		}
		// Retention keeps a call whose callback is pending.
		if n, err := s.PurgeCalls(ctx, time.Now().Add(time.Hour), 100); err != nil || n != 1 {
			t.Errorf("purged %d, %v; want only the call without a callback", n, err)
		}
		mustDo(t, s.FinishCallback(ctx, due[0], picasso.CallbackOutcome{Status: picasso.CallbackDelivered}))
		got, err = s.GetCall(ctx, projectA, done.ID)
		mustDo(t, err)
		if got.CallbackStatus != picasso.CallbackDelivered || got.CallbackAttempts != 1 {
			t.Errorf("after delivery: %q after %d attempts", got.CallbackStatus, got.CallbackAttempts)
		}
		wantPending(t, s, 0)
		if again := claimCallbacks(t, s, 0); len(again) != 0 {
			t.Errorf("a delivered callback is due again")
		}
		if err := s.FinishCallback(ctx, due[0], picasso.CallbackOutcome{Status: picasso.CallbackFailed}); !picasso.IsCode(err, picasso.ECONFLICT) {
			t.Errorf("a delivered callback was finished again: %v", err)
		}
	})
}

func TestCallbackRetriesAndExpiredLeases(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		call := finishWithCallback(t, s, picasso.CallOutcome{Status: picasso.CallDead, Error: "Function answered 404"})

		// A sender that claimed the callback and vanished: once its lease
		// ends, the callback is claimed again as the next attempt, and the
		// vanished sender can no longer record anything.
		first := claimCallbacks(t, s, 0)
		second := claimCallbacks(t, s, time.Minute)
		if len(first) != 1 || len(second) != 1 || second[0].CallbackAttempts != 2 || second[0].Status != picasso.CallDead {
			t.Fatalf("claims after an expired lease: %+v then %+v", first, second)
		}
		if err := s.FinishCallback(ctx, first[0], picasso.CallbackOutcome{Status: picasso.CallbackDelivered}); !picasso.IsCode(err, picasso.ECONFLICT) {
			t.Errorf("the vanished sender recorded its attempt: %v", err)
		}
		// A refused attempt waits for its backoff.
		mustDo(t, s.FinishCallback(ctx, second[0], picasso.CallbackOutcome{Status: picasso.CallbackPending,
			NotBefore: time.Now().Add(time.Hour), Error: "callback target answered 503"}))
		if due := claimCallbacks(t, s, time.Minute); len(due) != 0 {
			t.Errorf("a callback was claimed before its backoff ended")
		}
		got, err := s.GetCall(ctx, projectA, call.ID)
		mustDo(t, err)
		if got.CallbackStatus != picasso.CallbackPending || got.CallbackError != "callback target answered 503" {
			t.Errorf("waiting callback: %q, error %q", got.CallbackStatus, got.CallbackError)
		}
		// Re-queueing the dead call starts it over: its callback is the
		// new series' to send.
		requeued, err := s.RequeueCall(ctx, projectA, call.ID)
		mustDo(t, err)
		if requeued.CallbackStatus != picasso.CallbackNone || requeued.CallbackAttempts != 0 || requeued.CallbackError != "" {
			t.Errorf("re-queued call keeps callback %q, %d attempts, %q", requeued.CallbackStatus, requeued.CallbackAttempts, requeued.CallbackError)
		}
	})
}

func TestExpiredLastLeaseQueuesTheCallback(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		rec := testCall(projectA, "app1")
		rec.CallbackURL, rec.Timeout, rec.MaxAttempts = "https://hooks.example.com/done", 0, 1
		call := mustInsertCall(t, s, rec)
		claimOne(t, s, "w1") // and the worker dies: the lease ends at once
		dead := claimOne(t, s, "w2")
		if dead.Status != picasso.CallDead || dead.CallbackStatus != picasso.CallbackPending {
			t.Fatalf("after the last lease expired: %s, callback %q; want dead, pending", dead.Status, dead.CallbackStatus)
		}
		due := claimCallbacks(t, s, time.Minute)
		if len(due) != 1 || due[0].ID != call.ID || due[0].Status != picasso.CallDead {
			t.Errorf("the dead call's callback: %+v", due)
		}
	})
}
