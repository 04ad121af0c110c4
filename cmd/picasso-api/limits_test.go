package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDefaultLimitsInNoAuthMode: without Keystone, --default-limits are
// every project's limits, enforced and shown.
func TestDefaultLimitsInNoAuthMode(t *testing.T) {
	s := start(t, nil, append(devArgs(t), "--default-limits", "function_apps=1,function_rate=7")...)
	p := "/v1/" + project
	if status, _, body := s.request(t, "POST", p+"/apps", `{"app":{"name":"one"}}`); status != 200 {
		t.Fatalf("first app: %d %s", status, body)
	}
	status, _, body := s.request(t, "POST", p+"/apps", `{"app":{"name":"two"}}`)
	if status != 403 || !strings.Contains(body, "Quota exceeded for function_apps: requested 1, but already used 1 of 1") {
		t.Errorf("second app: %d %s, want 403 naming the quota", status, body)
	}
	status, _, body = s.request(t, "GET", p+"/limits", "")
	for _, want := range []string{`"function_apps":{"limit":1,"used":1}`, `"function_rate":{"limit":7}`, `"function_routes":{"limit":1000,"used":0}`} {
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("limits: %d %s, want %s", status, body, want)
		}
	}
}

// TestSyncAndAsyncShareTheConcurrencyLimit: the gateway and the worker
// admit through one gate. With function_concurrency=1 taken by a sync call
// held open, the project's async calls wait in the queue, handed back with
// no attempt used; when the sync call ends they run, each as attempt 1.
func TestSyncAndAsyncShareTheConcurrencyLimit(t *testing.T) {
	dir := t.TempDir()
	gate, count := filepath.Join(dir, "gate"), filepath.Join(dir, "count")
	for name, body := range map[string]string{
		"hold":  `while [ ! -e "$GATE" ]; do sleep 0.02; done; printf held`,
		"quick": `echo run >> "$COUNT"; printf quick`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	uri := "sqlite://" + filepath.Join(t.TempDir(), "picasso.db")
	s := start(t, nil, append(queueArgs(uri, "--functions-dir", dir), "--default-limits", "function_concurrency=1")...)
	p := "/v1/" + project
	mustRequest(t, s, "POST", p+"/apps", `{"app":{"name":"jobs"}}`, 200)
	mustRequest(t, s, "POST", p+"/apps/jobs/routes",
		`{"route":{"path":"/hold","image":"hold","timeout":30,"config":{"GATE":"`+gate+`"}}}`, 200)
	mustRequest(t, s, "POST", p+"/apps/jobs/routes",
		`{"route":{"path":"/quick","image":"quick","type":"async","config":{"COUNT":"`+count+`"}}}`, 200)

	held := make(chan string, 1)
	go func() {
		status, _, body := s.request(t, "POST", "/r/"+project+"/jobs/hold", "")
		held <- fmt.Sprintf("%d %s", status, body)
	}()
	waitFor(t, func() bool {
		return strings.Contains(mustRequest(t, s, "GET", p+"/limits", "", 200), `"function_concurrency":{"limit":1,"used":1}`)
	})

	var ids []string
	for range 2 {
		ids = append(ids, callID(t, mustRequest(t, s, "POST", "/r/"+project+"/jobs/quick", "", 202)))
	}
	type callState struct {
		Call struct {
			Status    string `json:"status"`
			Attempt   int    `json:"attempt"`
			CreatedAt string `json:"created_at"`
			NotBefore string `json:"not_before"`
			Result    string `json:"result"`
		} `json:"call"`
	}
	get := func(id string) callState {
		var c callState
		if err := json.Unmarshal([]byte(mustRequest(t, s, "GET", p+"/calls/"+id, "", 200)), &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, id := range ids {
		// Handed back at least once: due later than it was made.
		waitFor(t, func() bool {
			c := get(id).Call
			if c.Status != "queued" && c.Status != "running" {
				t.Fatalf("async call %s while the sync call holds the slot: %+v", id, c)
			}
			return c.Status == "queued" && c.Attempt == 0 && c.NotBefore > c.CreatedAt
		})
	}
	if _, err := os.Stat(count); !os.IsNotExist(err) {
		t.Errorf("an async call ran while the sync call held the project's slot (%v)", err)
	}

	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := <-held; got != "200 held" {
		t.Errorf("sync call: %s", got)
	}
	for _, id := range ids {
		waitFor(t, func() bool { return get(id).Call.Status == "succeeded" })
		if c := get(id).Call; c.Attempt != 1 || c.Result != "quick" {
			t.Errorf("async call after the slot freed: %+v, want attempt 1", c)
		}
	}
}
