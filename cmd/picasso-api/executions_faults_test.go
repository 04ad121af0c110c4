package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/ironfunctionstest"
	"github.com/picasso-faas/picasso/internal/testdb"
	"github.com/picasso-faas/picasso/internal/testenv"
	"github.com/picasso-faas/picasso/store"
)

// replica is picasso-api running as a real process (the test binary in
// main mode), so that it can be killed with SIGKILL.
type replica struct {
	*server
	cmd    *exec.Cmd
	logs   *lockedBuffer
	exited chan error
}

func startReplica(t *testing.T, args ...string) *replica {
	t.Helper()
	port := testenv.FreePort(t)
	cmd := exec.Command(os.Args[0], append([]string{"--port", strconv.Itoa(port)}, args...)...)
	cmd.Env = append(os.Environ(), runMainVar+"=1")
	r := &replica{server: &server{url: "http://127.0.0.1:" + strconv.Itoa(port)}, cmd: cmd, logs: &lockedBuffer{},
		exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = r.logs, r.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.exited <- cmd.Wait() }()
	t.Cleanup(r.kill)
	waitHealthy(t, r.url, r.exited, r.logs)
	return r
}

// kill ends the replica with SIGKILL: no drain, no deferred code.
func (r *replica) kill() {
	if r.cmd.ProcessState == nil {
		r.cmd.Process.Signal(syscall.SIGKILL)
		<-r.exited
		r.exited <- nil
	}
}

// queueArgs run the execution core with short leases and polls, so that
// a dead replica's calls come back within seconds. The functions leave
// marks in files of the test's directory, which the sandbox (tested on its
// own) would keep them from writing, so they run unsandboxed.
func queueArgs(dbURI string, backendArgs ...string) []string {
	return append([]string{"--dev", "--local-sandbox", "none", "--db-uri", dbURI, "--log-level", "INFO", "--call-lease-margin", "1s",
		"--call-poll-interval", "50ms", "--retry-backoff-base", "50ms", "--retry-backoff-cap", "200ms"}, backendArgs...)
}

// openQueue migrates the database and opens it for the test's own reads.
func openQueue(t *testing.T, uri string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), uri, store.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustRequest(t *testing.T, s *server, method, path, body string, want int) string {
	t.Helper()
	status, _, got := s.request(t, method, path, body)
	if status != want {
		t.Fatalf("%s %s: %d %s", method, path, status, got)
	}
	return got
}

func callID(t *testing.T, body string) string {
	t.Helper()
	var accepted struct {
		CallID string `json:"call_id"`
	}
	if err := json.Unmarshal([]byte(body), &accepted); err != nil || accepted.CallID == "" {
		t.Fatalf("not a 202 body: %q", body)
	}
	return accepted.CallID
}

// waitDrained waits until no call waits or runs.
func waitDrained(t *testing.T, db *store.DB, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		stats, err := db.CallStats(context.Background())
		if err == nil && stats.Queued == 0 && stats.Running == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queue did not drain: %+v, %v", stats, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// allCalls lists every call of the project.
func allCalls(t *testing.T, db *store.DB) []*picasso.CallRecord {
	t.Helper()
	var all []*picasso.CallRecord
	page := picasso.Page{Limit: picasso.MaxPageSize}
	for {
		calls, err := db.ListCalls(context.Background(), project, picasso.CallFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, calls...)
		if len(calls) < page.Limit {
			return all
		}
		page.Marker = calls[len(calls)-1].ID
	}
}

// finishedRecords counts, per call id, the outcomes the replicas' logs say
// they recorded.
func finishedRecords(logs ...string) map[string][]string {
	out := map[string][]string{}
	for _, log := range logs {
		sc := bufio.NewScanner(strings.NewReader(log))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line struct {
				Msg    string `json:"msg"`
				CallID string `json:"call_id"`
				Status string `json:"status"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "call attempt finished" {
				out[line.CallID] = append(out[line.CallID], line.Status)
			}
		}
	}
	return out
}

// TestKilledReplicaCallRunsAgain: SIGKILL of the replica running a slow
// call; another replica runs the call again, as attempt 2, once the lease
// is over, and the call is recorded succeeded once.
func TestKilledReplicaCallRunsAgain(t *testing.T) {
	uri := testdb.MySQLURI(t)
	openQueue(t, uri)
	dir := t.TempDir()
	marks := filepath.Join(dir, "marks")
	// The first attempt hangs (until the test ends it); later ones answer.
	script := "#!/bin/sh\necho \"start $CALL_ATTEMPT\" >> \"$MARKS\"\n" +
		"if [ \"$CALL_ATTEMPT\" = 1 ]; then echo $$ > \"$MARKS.pid\"; exec sleep 60; fi\nprintf 'attempt %s' \"$CALL_ATTEMPT\"\n"
	if err := os.WriteFile(filepath.Join(dir, "once"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if pid, err := os.ReadFile(marks + ".pid"); err == nil {
			if n, err := strconv.Atoi(strings.TrimSpace(string(pid))); err == nil {
				syscall.Kill(-n, syscall.SIGKILL) // the orphaned first attempt
			}
		}
	})
	args := queueArgs(uri, "--functions-dir", dir)
	first := startReplica(t, args...)
	p := "/v1/" + project
	mustRequest(t, first.server, "POST", p+"/apps", `{"app":{"name":"jobs"}}`, 200)
	mustRequest(t, first.server, "POST", p+"/apps/jobs/routes",
		`{"route":{"path":"/once","image":"once","type":"async","timeout":2,"config":{"MARKS":"`+marks+`"}}}`, 200)
	id := callID(t, mustRequest(t, first.server, "POST", "/r/"+project+"/jobs/once", "", 202))

	waitFor(t, func() bool { b, _ := os.ReadFile(marks); return strings.Contains(string(b), "start 1") })
	first.kill()

	second := startReplica(t, args...)
	var call struct {
		Call struct {
			Status  string `json:"status"`
			Attempt int    `json:"attempt"`
			Result  string `json:"result"`
		} `json:"call"`
	}
	waitFor(t, func() bool {
		json.Unmarshal([]byte(mustRequest(t, second.server, "GET", p+"/calls/"+id, "", 200)), &call)
		return call.Call.Status == "succeeded"
	})
	if call.Call.Attempt != 2 || call.Call.Result != "attempt 2" {
		t.Errorf("call after the kill: %+v", call.Call)
	}
	var got []string
	waitFor(t, func() bool { // the worker logs an outcome just after it recorded it
		got = finishedRecords(first.logs.String(), second.logs.String())[id]
		return len(got) > 0
	})
	if len(got) != 1 || got[0] != "succeeded" {
		t.Errorf("outcomes recorded for the call: %v, want one succeeded", got)
	}
}

// TestThreeReplicasDrainTheQueue: 2,000 calls queued through an API-only
// replica are drained by three worker replicas on one MariaDB; every call
// runs at least once and is recorded finished once.
func TestThreeReplicasDrainTheQueue(t *testing.T) {
	const calls = 2000
	uri := testdb.MySQLURI(t)
	db := openQueue(t, uri)
	fake := ironfunctionstest.New()
	t.Cleanup(fake.Close)
	args := queueArgs(uri, "--backend", "ironfunctions", "--functions-url", fake.URL())
	api := startReplica(t, append(args, "--worker-concurrency", "0")...)
	p := "/v1/" + project
	mustRequest(t, api.server, "POST", p+"/apps", `{"app":{"name":"jobs"}}`, 200)
	mustRequest(t, api.server, "POST", p+"/apps/jobs/routes", `{"route":{"path":"/echo","image":"iron/echo","type":"async"}}`, 200)

	ids := make(chan string, calls)
	var wg sync.WaitGroup
	for c := 0; c < 12; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < calls; i += 12 {
				status, _, body := api.request(t, "POST", "/r/"+project+"/jobs/echo", "")
				if status != 202 {
					t.Errorf("enqueue: %d %s", status, body)
					return
				}
				ids <- callID(t, body)
			}
		}()
	}
	wg.Wait()
	close(ids)
	if t.Failed() {
		return
	}
	replicas := []*replica{startReplica(t, args...), startReplica(t, args...), startReplica(t, args...)}
	waitDrained(t, db, 2*time.Minute)

	ran := map[string]int{}
	for _, inv := range fake.Calls() {
		ran[inv.Header.Get(picasso.HeaderCallID)]++
	}
	// A worker logs an outcome just after it recorded it.
	logs := make([]string, len(replicas))
	var finished map[string][]string
	// Without every outcome logged after a generous wait, the checks below
	// name the calls that are missing or doubled.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		for i, r := range replicas {
			logs[i] = r.logs.String()
		}
		finished = finishedRecords(logs...)
		if len(finished) >= calls || time.Now().After(deadline) {
			break
		}
	}
	working := 0
	for _, log := range logs {
		if len(finishedRecords(log)) > 0 {
			working++
		}
	}
	n := 0
	for id := range ids {
		n++
		if ran[id] < 1 {
			t.Errorf("call %s never ran", id)
		}
		if got := finished[id]; len(got) != 1 || got[0] != "succeeded" {
			t.Errorf("call %s was recorded finished %v, want once succeeded", id, got)
		}
	}
	records := allCalls(t, db)
	if n != calls || len(records) != calls {
		t.Fatalf("%d calls accepted, %d records; want %d", n, len(records), calls)
	}
	for _, c := range records {
		if c.Status != picasso.CallSucceeded {
			t.Errorf("call %s is %s", c.ID, c.Status)
		}
	}
	if working < 2 {
		t.Errorf("only %d of 3 replicas ran calls", working)
	}
}

// TestRestartLosesNoQueuedCall: 500 calls accepted by a replica that is
// then killed all run after the restart.
func TestRestartLosesNoQueuedCall(t *testing.T) {
	const calls = 500
	uri := testdb.MySQLURI(t)
	db := openQueue(t, uri)
	fake := ironfunctionstest.New()
	t.Cleanup(fake.Close)
	args := queueArgs(uri, "--backend", "ironfunctions", "--functions-url", fake.URL())
	// An API-only replica: the calls stay queued until the restart.
	apiOnly := startReplica(t, append(args, "--worker-concurrency", "0")...)
	p := "/v1/" + project
	mustRequest(t, apiOnly.server, "POST", p+"/apps", `{"app":{"name":"jobs"}}`, 200)
	mustRequest(t, apiOnly.server, "POST", p+"/apps/jobs/routes", `{"route":{"path":"/echo","image":"iron/echo","type":"async"}}`, 200)
	accepted := map[string]bool{}
	for i := 0; i < calls; i++ {
		accepted[callID(t, mustRequest(t, apiOnly.server, "POST", "/r/"+project+"/jobs/echo", strconv.Itoa(i), 202))] = true
	}
	if stats, err := db.CallStats(context.Background()); err != nil || stats.Queued != calls {
		t.Fatalf("before the restart: %+v, %v; want %d queued", stats, err, calls)
	}
	apiOnly.kill()

	startReplica(t, args...)
	waitDrained(t, db, time.Minute)
	for _, c := range allCalls(t, db) {
		if !accepted[c.ID] || c.Status != picasso.CallSucceeded {
			t.Errorf("call %s: accepted %v, status %s", c.ID, accepted[c.ID], c.Status)
		}
		delete(accepted, c.ID)
	}
	if len(accepted) != 0 {
		t.Errorf("%d accepted calls were lost", len(accepted))
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
