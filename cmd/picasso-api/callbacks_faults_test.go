package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/picasso-faas/picasso/backend/ironfunctionstest"
	"github.com/picasso-faas/picasso/internal/testdb"
)

// TestKilledReplicaCallbackIsSentByAnother: a replica is killed with
// SIGKILL while it sends a call's callback; another replica on the same
// MariaDB sends it once the dead one's delivery lease has ended, and the
// call's record says so.
func TestKilledReplicaCallbackIsSentByAnother(t *testing.T) {
	uri := testdb.MySQLURI(t)
	openQueue(t, uri)
	fake := ironfunctionstest.New()
	t.Cleanup(fake.Close)

	var mu sync.Mutex
	var bodies []string
	firstArrived, release := make(chan struct{}), make(chan struct{})
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(body))
		first := len(bodies) == 1
		mu.Unlock()
		if first { // held until its sender is dead
			close(firstArrived)
			<-release
		}
	}))
	t.Cleanup(func() { close(release); receiver.Close() })

	args := append(queueArgs(uri, "--backend", "ironfunctions", "--functions-url", fake.URL()),
		"--callback-allow-private", "--callback-timeout", "1s")
	first := startReplica(t, args...)
	p := "/v1/" + project
	mustRequest(t, first.server, "POST", p+"/apps", `{"app":{"name":"jobs"}}`, 200)
	mustRequest(t, first.server, "POST", p+"/apps/jobs/routes",
		`{"route":{"path":"/echo","image":"iron/echo","type":"async","callback_url":"`+receiver.URL+`/done"}}`, 200)
	id := callID(t, mustRequest(t, first.server, "POST", "/r/"+project+"/jobs/echo", "hello", 202))
	<-firstArrived
	first.kill()

	second := startReplica(t, args...)
	var view struct {
		Call struct {
			Status           string `json:"status"`
			CallbackStatus   string `json:"callback_status"`
			CallbackAttempts int    `json:"callback_attempts"`
		} `json:"call"`
	}
	waitFor(t, func() bool {
		json.Unmarshal([]byte(mustRequest(t, second.server, "GET", p+"/calls/"+id, "", 200)), &view)
		return view.Call.CallbackStatus == "delivered"
	})
	if view.Call.Status != "succeeded" || view.Call.CallbackAttempts != 2 {
		t.Errorf("after the kill: %+v, want a succeeded call whose callback took 2 attempts", view.Call)
	}
	mu.Lock()
	defer mu.Unlock()
	var delivered struct {
		CallID string `json:"call_id"`
		Status string `json:"status"`
	}
	if len(bodies) != 2 || json.Unmarshal([]byte(bodies[1]), &delivered) != nil || delivered.CallID != id || delivered.Status != "succeeded" {
		t.Errorf("the receiver got %q, want the interrupted attempt and then the call's callback", bodies)
	}
}
