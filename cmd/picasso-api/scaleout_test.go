package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picasso-faas/picasso/backend/ironfunctionstest"
	"github.com/picasso-faas/picasso/internal/testdb"
)

// scaleSeconds is how long the racing clients run: PICASSO_SCALE_SECONDS,
// 8 by default so that CI stays short; 20 reproduces the load.
func scaleSeconds(t *testing.T) time.Duration {
	if v := os.Getenv("PICASSO_SCALE_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("PICASSO_SCALE_SECONDS=%q: want a positive number of seconds", v)
		}
		return time.Duration(n) * time.Second
	}
	return 8 * time.Second
}

// scaleOutcome counts what the clients saw.
type scaleOutcome struct {
	requests, serverErrors, connErrors atomic.Int64
	mu                                 sync.Mutex
	samples                            []string
}

func (o *scaleOutcome) record(method, path string, status int, body string, err error) {
	o.requests.Add(1)
	switch {
	case err != nil:
		o.connErrors.Add(1)
	case status >= 500:
		o.serverErrors.Add(1)
		o.mu.Lock()
		if len(o.samples) < 10 {
			o.samples = append(o.samples, fmt.Sprintf("%s %s: %d %s", method, path, status, body))
		}
		o.mu.Unlock()
	}
}

// TestThreeReplicasUnderRacingClients: three picasso-api processes on one
// MariaDB and one backend; 30 clients create, update, delete and invoke a
// few shared apps and routes at random across them, and one replica is
// killed (SIGKILL) half-way. No client sees a 5xx, no replica logs a
// failed compensation, and the store and the backend agree at the end,
// but for what the killed replica had in flight.
func TestThreeReplicasUnderRacingClients(t *testing.T) {
	uri := testdb.MySQLURI(t)
	openQueue(t, uri)
	fake := ironfunctionstest.New()
	t.Cleanup(fake.Close)
	args := []string{"--dev", "--db-uri", uri, "--backend", "ironfunctions", "--functions-url", fake.URL() + "/v1",
		"--log-level", "INFO"}
	replicas := []*replica{startReplica(t, args...), startReplica(t, args...), startReplica(t, args...)}
	var alive atomic.Int32
	alive.Store(int32(len(replicas)))

	duration := scaleSeconds(t)
	deadline := time.Now().Add(duration)
	killAt := time.Now().Add(duration / 2)
	client := &http.Client{Timeout: 30 * time.Second}
	var outcome, afterKill scaleOutcome
	var killed atomic.Bool
	var wg sync.WaitGroup
	for c := range 30 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), uint64(time.Now().UnixNano())))
			for time.Now().Before(deadline) {
				// The killed replica is the last one; after the kill only
				// the two others get requests.
				o := &outcome
				if killed.Load() {
					o = &afterKill
				}
				target := replicas[rng.IntN(int(alive.Load()))]
				method, path, body := randomOperation(rng)
				req, _ := http.NewRequest(method, target.url+path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				status, respBody, err := doRequest(client, req)
				o.record(method, path, status, respBody, err)
			}
		})
	}
	time.Sleep(time.Until(killAt))
	// alive first: a client that sees killed also sees only two replicas.
	alive.Store(2)
	killed.Store(true)
	replicas[2].kill()
	wg.Wait()

	t.Logf("%d requests before the kill (%d cut by it), %d after", outcome.requests.Load(), outcome.connErrors.Load(),
		afterKill.requests.Load())
	for _, o := range []*scaleOutcome{&outcome, &afterKill} {
		if n := o.serverErrors.Load(); n > 0 {
			t.Errorf("%d answers were 5xx, e.g. %s", n, strings.Join(o.samples, "\n"))
		}
	}
	if n := afterKill.connErrors.Load(); n > 0 {
		t.Errorf("%d requests to the surviving replicas failed to connect", n)
	}
	for i, r := range replicas {
		if logs := r.logs.String(); strings.Contains(logs, "compensation failed") {
			t.Errorf("replica %d logged a failed compensation:\n%s", i, grepLines(logs, "compensation failed"))
		}
	}

	// What the killed replica had in flight may be half done; reconcile
	// finds exactly that, and nothing else, and repairs it.
	report := reconcileReport(t, uri, fake, false)
	t.Logf("reconcile after the kill: %d drifts\n%s", strings.Count(report, "\n"), report)
	if drifts := strings.Count(report, "\n"); drifts > int(outcome.connErrors.Load()) {
		t.Errorf("reconcile found %d drifts, more than the %d requests the kill cut:\n%s", drifts,
			outcome.connErrors.Load(), report)
	}
	if report != "" {
		reconcileReport(t, uri, fake, true)
		if again := reconcileReport(t, uri, fake, false); again != "" {
			t.Errorf("drift left after the repair:\n%s", again)
		}
	}
}

// randomOperation picks a management write or a call on one of a few
// shared apps and routes, so that the clients race on the same rows.
func randomOperation(rng *rand.Rand) (method, path, body string) {
	app := "race" + strconv.Itoa(rng.IntN(4))
	route := "/r" + strconv.Itoa(rng.IntN(3))
	apps := "/v1/" + project + "/apps"
	switch rng.IntN(8) {
	case 0:
		return "POST", apps, `{"app":{"name":"` + app + `"}}`
	case 1:
		return "DELETE", apps + "/" + app, ""
	case 2:
		return "PUT", apps + "/" + app, `{"description":"changed ` + strconv.Itoa(rng.IntN(100)) + `"}`
	case 3:
		return "POST", apps + "/" + app + "/routes", `{"route":{"path":"` + route + `","image":"iron/echo"}}`
	case 4:
		return "PUT", apps + "/" + app + "/routes" + route, `{"memory":` + strconv.Itoa(128*(1+rng.IntN(4))) + `}`
	case 5:
		return "DELETE", apps + "/" + app + "/routes" + route, ""
	}
	return "POST", "/r/" + project + "/" + app + route, "hello"
}

func doRequest(client *http.Client, req *http.Request) (int, string, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, "", err
	}
	return resp.StatusCode, string(body), nil
}

// reconcileReport runs picasso-api reconcile (with --repair if asked) on
// the database and the backend and returns its report.
func reconcileReport(t *testing.T, uri string, fake *ironfunctionstest.Server, repair bool) string {
	t.Helper()
	args := []string{"picasso-api", "reconcile", "--db-uri", uri, "--functions-url", fake.URL() + "/v1"}
	if repair {
		args = append(args, "--repair")
	}
	var out bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, &out, &out)
	if err != nil && out.Len() == 0 {
		t.Fatalf("reconcile: %v", err)
	}
	return out.String()
}

func grepLines(text, needle string) string {
	var lines []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, needle) {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "")
}
