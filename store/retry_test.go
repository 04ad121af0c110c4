package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/picasso-faas/picasso"
)

// instantRetry is defaultRetry without time: it records the backoffs it
// was asked to sleep and picks the largest jitter.
func instantRetry(slept *[]time.Duration) retryPolicy {
	p := defaultRetry
	p.sleep = func(_ context.Context, d time.Duration) error { *slept = append(*slept, d); return nil }
	p.jitter = func(n time.Duration) time.Duration { return n - 1 }
	return p
}

func TestRetryRerunsTransientFailures(t *testing.T) {
	deadlock := &mysql.MySQLError{Number: mysqlDeadlock, Message: "Deadlock found when trying to get lock; try restarting transaction"}
	for _, transientErr := range []error{
		deadlock,
		&mysql.MySQLError{Number: mysqlLockWaitTimeout},
		&mysql.MySQLError{Number: mysqlCommitFailed},
		fmt.Errorf("wrapped: %w", deadlock),
	} {
		var slept []time.Duration
		runs := 0
		err := instantRetry(&slept).run(context.Background(), func() error {
			runs++
			if runs < 3 {
				return transientErr
			}
			return nil
		})
		if err != nil || runs != 3 {
			t.Errorf("%v: err %v after %d runs, want success on the 3rd", transientErr, err, runs)
		}
		if want := []time.Duration{5 * time.Millisecond, 10 * time.Millisecond}; fmt.Sprint(slept) != fmt.Sprint(want) {
			t.Errorf("%v: slept %v, want %v (doubling bounds)", transientErr, slept, want)
		}
	}
}

func TestRetryIsBounded(t *testing.T) {
	var slept []time.Duration
	runs := 0
	deadlock := &mysql.MySQLError{Number: mysqlDeadlock}
	err := instantRetry(&slept).run(context.Background(), func() error { runs++; return deadlock })
	if !errors.Is(err, deadlock) || runs != defaultRetry.attempts {
		t.Fatalf("err %v after %d runs, want the deadlock after %d", err, runs, defaultRetry.attempts)
	}
	var total time.Duration
	for _, d := range slept {
		if d > defaultRetry.max {
			t.Errorf("a backoff of %v exceeds the maximum %v", d, defaultRetry.max)
		}
		total += d
	}
	if total > time.Second {
		t.Errorf("backoffs add up to %v; the bound is meant to stay under a second", total)
	}
}

func TestRetryLeavesOtherErrorsAlone(t *testing.T) {
	for _, permanent := range []error{
		&mysql.MySQLError{Number: mysqlDuplicateEntry},
		picasso.Errorf(picasso.ECONFLICT, "App x already exists"),
		errors.New("driver: bad connection"),
	} {
		var slept []time.Duration
		runs := 0
		err := instantRetry(&slept).run(context.Background(), func() error { runs++; return permanent })
		if err != permanent || runs != 1 {
			t.Errorf("%v: %d runs, err %v; want one run and the error unchanged", permanent, runs, err)
		}
	}
}

func TestRetryStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := defaultRetry
	runs := 0
	err := p.run(ctx, func() error { runs++; return &mysql.MySQLError{Number: mysqlDeadlock} })
	if runs != 1 || err == nil {
		t.Fatalf("%d runs, err %v; want one run and its error once the context has ended", runs, err)
	}
}

// TestWriteSurvivesARealDeadlock makes two writes lock two rows in
// opposite orders on MariaDB: the server aborts one with error 1213, and
// write runs it again, so both succeed.
func TestWriteSurvivesARealDeadlock(t *testing.T) {
	s := openStore(t, mysqlURI(t))
	ctx := context.Background()
	x := mustCreateApp(t, s, testApp(projectA, "x"))
	y := mustCreateApp(t, s, testApp(projectA, "y"))

	var bothHoldOne sync.WaitGroup
	bothHoldOne.Add(2)
	var runs atomic.Int32
	lockBoth := func(first, second *picasso.App) func(tx *sqlx.Tx) error {
		attempt := 0
		return func(tx *sqlx.Tx) error {
			attempt++
			runs.Add(1)
			if _, err := tx.ExecContext(ctx, `UPDATE apps SET description = 'locked' WHERE id = ?`, first.ID); err != nil {
				return err
			}
			if attempt == 1 {
				bothHoldOne.Done()
				bothHoldOne.Wait()
			}
			_, err := tx.ExecContext(ctx, `UPDATE apps SET description = 'both' WHERE id = ?`, second.ID)
			return err
		}
	}
	errs := make(chan error, 2)
	go func() { errs <- s.write(ctx, lockBoth(x, y)) }()
	go func() { errs <- s.write(ctx, lockBoth(y, x)) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("write: %v (a deadlock must be retried, not answered)", err)
		}
	}
	if n := runs.Load(); n < 3 {
		t.Fatalf("%d transaction runs: the server should have aborted one of the two", n)
	}
}
