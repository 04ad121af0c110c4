package store

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

func testCall(project, appID string) *picasso.CallRecord {
	return &picasso.CallRecord{
		ProjectID:   project,
		AppID:       appID,
		AppName:     "fn",
		RoutePath:   "/later",
		Trigger:     picasso.TriggerHTTP,
		MaxAttempts: 2,
		Timeout:     time.Second,
		RequestID:   "req-1",
		Request: picasso.CallRequest{Method: "POST", RawQuery: "a=1",
			Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("payload")},
	}
}

func mustInsertCall(t *testing.T, s *DB, rec *picasso.CallRecord) *picasso.CallRecord {
	t.Helper()
	call, created, err := s.InsertCall(context.Background(), rec, 0)
	if err != nil || !created {
		t.Fatalf("InsertCall: created=%v, %v", created, err)
	}
	return call
}

func claimOne(t *testing.T, s *DB, owner string) *picasso.CallRecord {
	t.Helper()
	calls, err := s.ClaimCalls(context.Background(), owner, 1, 0, nil)
	if err != nil || len(calls) != 1 {
		t.Fatalf("ClaimCalls: %d calls, %v; want one", len(calls), err)
	}
	return calls[0]
}

func TestCallLifecycle(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		call := mustInsertCall(t, s, testCall(projectA, "app1"))
		if call.Status != picasso.CallQueued || call.Attempt != 0 || len(call.ID) != 32 {
			t.Fatalf("enqueued %+v", call)
		}
		got, err := s.GetCall(ctx, projectA, call.ID)
		mustDo(t, err)
		if string(got.Request.Body) != "payload" || got.Request.Header.Get("Content-Type") != "text/plain" ||
			got.Request.RawQuery != "a=1" || got.Timeout != time.Second || got.RequestID != "req-1" {
			t.Errorf("round trip lost the request: %+v", got)
		}
		if _, err := s.GetCall(ctx, projectB, call.ID); !picasso.IsCode(err, picasso.ENOTFOUND) {
			t.Errorf("another project's GetCall: %v, want ENOTFOUND", err)
		}

		running := claimOne(t, s, "w1")
		if running.ID != call.ID || running.Status != picasso.CallRunning || running.Attempt != 1 || running.LeaseOwner != "w1" {
			t.Fatalf("claimed %+v", running)
		}
		if again, err := s.ClaimCalls(ctx, "w2", 10, time.Minute, nil); err != nil || len(again) != 0 {
			t.Fatalf("a running call was claimed again: %d, %v", len(again), err)
		}
		stranger := *running
		stranger.LeaseOwner = "w2"
		if err := s.FinishCall(ctx, &stranger, picasso.CallOutcome{Status: picasso.CallSucceeded}); !picasso.IsCode(err, picasso.ECONFLICT) {
			t.Errorf("a worker without the lease finished the call: %v", err)
		}
		mustDo(t, s.FinishCall(ctx, running, picasso.CallOutcome{Status: picasso.CallSucceeded, HTTPStatus: 200,
			Result: []byte("out"), Log: []byte("err line")}))
		got, err = s.GetCall(ctx, projectA, call.ID)
		mustDo(t, err)
		if got.Status != picasso.CallSucceeded || string(got.Result) != "out" || string(got.Log) != "err line" ||
			got.HTTPStatus != 200 || got.FinishedAt.IsZero() || got.Duration() < 0 {
			t.Errorf("finished %+v", got)
		}
		if err := s.FinishCall(ctx, running, picasso.CallOutcome{Status: picasso.CallSucceeded}); !picasso.IsCode(err, picasso.ECONFLICT) {
			t.Errorf("a call was finished twice: %v", err)
		}
		if _, err := s.CancelCall(ctx, projectA, call.ID); !picasso.IsCode(err, picasso.ECONFLICT) {
			t.Errorf("cancel of a succeeded call: %v, want ECONFLICT", err)
		}
	})
}

func TestCallRetriesAndExpiredLeases(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		rec := testCall(projectA, "app1")
		rec.Timeout = 0 // the lease ends at once: the worker "died"
		call := mustInsertCall(t, s, rec)

		first := claimOne(t, s, "w1")
		second := claimOne(t, s, "w2")
		if second.Attempt != 2 || second.LeaseOwner != "w2" {
			t.Fatalf("an expired lease was reclaimed as %+v, want attempt 2 for w2", second)
		}
		if err := s.FinishCall(ctx, first, picasso.CallOutcome{Status: picasso.CallSucceeded}); !picasso.IsCode(err, picasso.ECONFLICT) {
			t.Errorf("the first worker finished after losing its lease: %v", err)
		}
		// The last attempt's lease expires too: the call is dead, not run a third time.
		calls, err := s.ClaimCalls(ctx, "w3", 5, 0, nil)
		mustDo(t, err)
		if len(calls) != 1 || calls[0].Status != picasso.CallDead || calls[0].Error == "" {
			t.Fatalf("after the last lease expired: %+v", calls)
		}
		if calls, _ := s.ClaimCalls(ctx, "w3", 5, 0, nil); len(calls) != 0 {
			t.Fatalf("a dead call was claimed: %+v", calls[0])
		}

		requeued, err := s.RequeueCall(ctx, projectA, call.ID)
		mustDo(t, err)
		if requeued.Status != picasso.CallQueued || requeued.Attempt != 0 || requeued.Trigger != picasso.TriggerRetry {
			t.Errorf("requeued %+v", requeued)
		}
		if _, err := s.RequeueCall(ctx, projectA, call.ID); !picasso.IsCode(err, picasso.ECONFLICT) {
			t.Errorf("requeue of a queued call: %v, want ECONFLICT", err)
		}
		run := claimOne(t, s, "w4")
		later := time.Now().Add(time.Hour)
		mustDo(t, s.FinishCall(ctx, run, picasso.CallOutcome{Status: picasso.CallFailed, NotBefore: later, HTTPStatus: 500}))
		if calls, _ := s.ClaimCalls(ctx, "w4", 5, 0, nil); len(calls) != 0 {
			t.Fatalf("a failed call was claimed before its backoff ended")
		}
		cancelled, err := s.CancelCall(ctx, projectA, call.ID)
		mustDo(t, err)
		if cancelled.Status != picasso.CallCancelled {
			t.Errorf("cancelled %+v", cancelled)
		}
	})
}

func TestIdempotencyAndCap(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		rec := testCall(projectA, "app1")
		rec.IdempotencyKey = "order-42"
		var wg sync.WaitGroup
		ids := make([]string, 8)
		created := make([]bool, 8)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := *rec
				call, ok, err := s.InsertCall(ctx, &r, 0)
				if err != nil {
					t.Error(err)
					return
				}
				ids[i], created[i] = call.ID, ok
			}()
		}
		wg.Wait()
		n := 0
		for i := range ids {
			if ids[i] != ids[0] {
				t.Errorf("one key gave two calls: %s and %s", ids[0], ids[i])
			}
			if created[i] {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d inserts reported created, want 1", n)
		}
		other := *rec
		other.ProjectID = projectB
		if _, ok, err := s.InsertCall(ctx, &other, 0); err != nil || !ok {
			t.Errorf("the key of another project blocked an insert: %v, %v", ok, err)
		}

		mustInsertCall(t, s, testCall(projectB, "app2"))
		if _, _, err := s.InsertCall(ctx, testCall(projectB, "app2"), 2); !picasso.IsCode(err, picasso.ETOOMANY) {
			t.Errorf("insert over the cap: %v, want ETOOMANY", err)
		}
		if _, _, err := s.InsertCall(ctx, testCall(projectA, "app1"), 2); err != nil {
			t.Errorf("project A is under its cap: %v", err)
		}
	})
}

func TestListCallsAndPurge(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		var ids []string
		for i := 0; i < 5; i++ {
			rec := testCall(projectA, "app1")
			if i%2 == 1 {
				rec.RoutePath = "/other"
			}
			ids = append(ids, mustInsertCall(t, s, rec).ID)
		}
		mustInsertCall(t, s, testCall(projectB, "app2"))
		page, err := s.ListCalls(ctx, projectA, picasso.CallFilter{}, picasso.Page{Limit: 3})
		mustDo(t, err)
		if len(page) != 3 || page[0].ID != ids[4] || page[2].ID != ids[2] {
			t.Fatalf("first page is not newest first: %v", callIDs(page))
		}
		rest, err := s.ListCalls(ctx, projectA, picasso.CallFilter{}, picasso.Page{Limit: 3, Marker: page[2].ID})
		mustDo(t, err)
		if len(rest) != 2 || rest[1].ID != ids[0] {
			t.Fatalf("second page: %v", callIDs(rest))
		}
		other, err := s.ListCalls(ctx, projectA, picasso.CallFilter{RoutePath: "/other", Status: picasso.CallQueued}, picasso.Page{})
		mustDo(t, err)
		if len(other) != 2 {
			t.Errorf("route filter: %v", callIDs(other))
		}
		future, err := s.ListCalls(ctx, projectA, picasso.CallFilter{Since: time.Now().Add(time.Hour)}, picasso.Page{})
		mustDo(t, err)
		if len(future) != 0 {
			t.Errorf("since filter: %v", callIDs(future))
		}

		stats, err := s.CallStats(ctx)
		mustDo(t, err)
		if stats.Queued != 6 || stats.OldestQueued.IsZero() {
			t.Errorf("stats %+v", stats)
		}
		mustDo(t, s.FinishCall(ctx, claimOne(t, s, "w"), picasso.CallOutcome{Status: picasso.CallSucceeded}))
		_, err = s.CancelCall(ctx, projectA, ids[1])
		mustDo(t, err)
		n, err := s.PurgeCalls(ctx, time.Now().Add(time.Second), 100)
		mustDo(t, err)
		if n != 2 {
			t.Errorf("purged %d calls, want the 2 final ones", n)
		}
		if _, err := s.GetCall(ctx, projectA, ids[1]); !picasso.IsCode(err, picasso.ENOTFOUND) {
			t.Errorf("a purged call is still there: %v", err)
		}
	})
}

func TestLeases(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		held, err := s.TryLease(ctx, "purge", "a", time.Hour)
		mustDo(t, err)
		if !held {
			t.Fatal("a free lease was not taken")
		}
		if held, _ := s.TryLease(ctx, "purge", "b", time.Hour); held {
			t.Error("b took a lease a holds")
		}
		if held, _ := s.TryLease(ctx, "purge", "a", -time.Second); !held {
			t.Error("a could not renew its lease")
		}
		if held, _ := s.TryLease(ctx, "purge", "b", time.Hour); !held {
			t.Error("b could not take an expired lease")
		}
	})
}

func callIDs(calls []*picasso.CallRecord) []string {
	ids := make([]string, len(calls))
	for i, c := range calls {
		ids[i] = c.ID
	}
	return ids
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestDeferCall: a claimed call handed back is due again at the given
// time with the attempt it was claimed for taken back.
func TestDeferCall(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		call := mustInsertCall(t, s, testCall(projectA, "app1"))

		claimed := claimOne(t, s, "w1")
		stranger := *claimed
		stranger.LeaseOwner = "w2"
		if err := s.DeferCall(ctx, &stranger, time.Now()); !picasso.IsCode(err, picasso.ECONFLICT) {
			t.Errorf("a worker without the lease deferred the call: %v", err)
		}
		mustDo(t, s.DeferCall(ctx, claimed, time.Now().Add(-time.Second)))
		if claimed.Status != picasso.CallQueued || claimed.Attempt != 0 || claimed.LeaseOwner != "" {
			t.Errorf("deferred %+v", claimed)
		}
		got, err := s.GetCall(ctx, projectA, call.ID)
		mustDo(t, err)
		if got.Status != picasso.CallQueued || got.Attempt != 0 || got.LeaseOwner != "" || !got.StartedAt.IsZero() {
			t.Errorf("stored after the deferral: %+v", got)
		}
		if err := s.DeferCall(ctx, claimed, time.Now()); !picasso.IsCode(err, picasso.ECONFLICT) {
			t.Errorf("a call no longer running was deferred: %v", err)
		}

		// Due: claimed again, as its first attempt still.
		running := claimOne(t, s, "w1")
		if running.ID != call.ID || running.Attempt != 1 {
			t.Fatalf("claimed after two deferrals: %+v", running)
		}

		// A call that failed an attempt waits as failed for its second.
		mustDo(t, s.FinishCall(ctx, running, picasso.CallOutcome{Status: picasso.CallFailed, HTTPStatus: 500,
			NotBefore: time.Now().Add(-time.Second)}))
		second := claimOne(t, s, "w1")
		mustDo(t, s.DeferCall(ctx, second, time.Now().Add(-time.Second)))
		got, err = s.GetCall(ctx, projectA, call.ID)
		mustDo(t, err)
		if got.Status != picasso.CallFailed || got.Attempt != 1 || got.HTTPStatus != 500 {
			t.Errorf("a deferred retry is stored as %+v, want failed after attempt 1", got)
		}
		again := claimOne(t, s, "w1")
		if again.Attempt != 2 || again.Status != picasso.CallRunning {
			t.Errorf("the retry claimed after its deferral: %+v, want attempt 2 running", again)
		}

		// Deferred to later: not due before then.
		mustDo(t, s.DeferCall(ctx, again, time.Now().Add(time.Hour)))
		if calls, _ := s.ClaimCalls(ctx, "w1", 5, 0, nil); len(calls) != 0 {
			t.Errorf("a deferred call was claimed before its time")
		}
	})
}

func TestQueueIdle(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		idle := func(want bool, when string) {
			t.Helper()
			if got, err := s.QueueIdle(ctx); err != nil || got != want {
				t.Errorf("%s: QueueIdle = %v, %v; want %v", when, got, err, want)
			}
		}
		idle(true, "empty")
		mustInsertCall(t, s, testCall(projectA, "app1"))
		idle(false, "a call queued")
		call := claimOne(t, s, "w1")
		idle(false, "a call running")
		mustDo(t, s.FinishCall(ctx, call, picasso.CallOutcome{Status: picasso.CallFailed, NotBefore: time.Now().Add(time.Hour)}))
		idle(false, "a call waiting for its retry")
		_, err := s.CancelCall(ctx, projectA, call.ID)
		mustDo(t, err)
		idle(true, "only a cancelled call")
	})
}
