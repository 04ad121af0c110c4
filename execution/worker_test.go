package execution_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/execution"
	"github.com/picasso-faas/picasso/internal/testdb"
)

// gated waits for its GATE file, so that a test sees the call running.
const gated = `echo "working on attempt $CALL_ATTEMPT" >&2
while [ ! -e "$GATE" ]; do sleep 0.02; done
printf 'out:'; cat`

func TestCallRunsQueuedRunningSucceeded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, uri string) {
		f := newFixture(t, uri, map[string]string{"gated": gated}, execution.WorkerConfig{}, nil)
		gate := filepath.Join(f.dir, "gate")
		r := f.route("/gated", "gated", map[string]string{"GATE": gate})
		call := f.enqueue(r, "hello")
		if got := f.get(call.ID); got.Status != picasso.CallQueued || got.Attempt != 0 || got.MaxAttempts != execution.DefaultMaxAttempts {
			t.Fatalf("enqueued call: %+v", got)
		}

		f.startWorker()
		running := f.waitFor(call.ID, picasso.CallRunning)
		if running.Attempt != 1 || running.StartedAt.IsZero() {
			t.Errorf("running call: %+v", running)
		}
		f.touch("gate")
		done := f.waitFor(call.ID, picasso.CallSucceeded)
		if string(done.Result) != "out:hello" || done.HTTPStatus != 200 || done.Attempt != 1 || done.Error != "" {
			t.Errorf("finished call: result %q, status %d, attempt %d, error %q", done.Result, done.HTTPStatus, done.Attempt, done.Error)
		}
		if !strings.Contains(string(done.Log), "working on attempt 1") {
			t.Errorf("log %q lacks the function's stderr with its attempt", done.Log)
		}
		if done.Duration() <= 0 {
			t.Errorf("duration %s", done.Duration())
		}
	})
}

// flaky fails until its FIXED file exists, counting its runs in COUNT.
const flaky = `echo run >> "$COUNT"
[ -e "$FIXED" ] || { echo "not yet" >&2; exit 1; }
printf fixed`

func TestFailingCallIsRetriedThenDeadAndRedriven(t *testing.T) {
	testdb.Each(t, func(t *testing.T, uri string) {
		f := newFixture(t, uri, map[string]string{"flaky": flaky}, execution.WorkerConfig{}, nil)
		count := filepath.Join(f.dir, "count")
		r := f.route("/flaky", "flaky", map[string]string{"COUNT": count, "FIXED": filepath.Join(f.dir, "fixed")})
		call := f.enqueue(r, "")
		f.startWorker()

		dead := f.waitFor(call.ID, picasso.CallDead)
		if dead.Attempt != 3 || dead.Error == "" || !strings.Contains(string(dead.Log), "not yet") {
			t.Errorf("dead call: attempt %d, error %q, log %q", dead.Attempt, dead.Error, dead.Log)
		}
		if runs := countLines(t, count); runs != 3 {
			t.Errorf("the function ran %d times, want 3 attempts", runs)
		}
		dl, err := f.db.ListCalls(t.Context(), project, picasso.CallFilter{Status: picasso.CallDead}, picasso.Page{})
		if err != nil || len(dl) != 1 || dl[0].ID != call.ID {
			t.Errorf("dead-letter list: %v, %v", dl, err)
		}

		f.touch("fixed")
		if _, err := f.db.RequeueCall(t.Context(), project, call.ID); err != nil {
			t.Fatal(err)
		}
		done := f.waitFor(call.ID, picasso.CallSucceeded)
		if string(done.Result) != "fixed" || done.Attempt != 1 || done.Trigger != picasso.TriggerRetry {
			t.Errorf("redriven call: %+v", done)
		}
	})
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}
