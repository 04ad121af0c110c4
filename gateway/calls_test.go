package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/ironfunctionstest"
	"github.com/picasso-faas/picasso/execution"
	"github.com/picasso-faas/picasso/gateway"
	"github.com/picasso-faas/picasso/internal/testdb"
	"github.com/picasso-faas/picasso/quota"
)

// waitForCall polls the call until it reaches status.
func (h *harness) waitForCall(project, token, id, status string) map[string]any {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		call := h.do(h.t, "GET", "/v1/"+project+"/calls/"+id, token, nil).expect(h.t, 200).JSON(h.t)["call"].(map[string]any)
		if call["status"] == status {
			return call
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("call %s is %v, want %s: %v", id, call["status"], status, call)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAsyncCallIsRecorded(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		app := h.createApp(projA, "member-a", "jobs")
		h.createRoute(projA, "member-a", "jobs", map[string]any{"path": "/echo", "image": "iron/echo", "type": "async", "is_public": true})
		webhook := h.do(t, "POST", "/v1/"+projA+"/apps/jobs/routes/echo/webhooks", "member-a", nil).expect(t, 200).JSON(t)["webhook"].(map[string]any)

		urls := map[string]string{
			"private": "/r/" + projA + "/jobs/echo",
			"public":  "/r/" + app.BackendName + "/echo",
			"v1":      "/v1/r/" + projA + "/jobs/echo",
		}
		triggers := map[string]string{}
		for form, url := range urls {
			resp := h.do(t, "POST", url, "member-a", "job "+form, "Content-Type", "text/plain").expect(t, http.StatusAccepted)
			id := resp.JSON(t)["call_id"].(string)
			if resp.Header.Get("Location") != "/v1/"+projA+"/calls/"+id {
				t.Errorf("%s: Location %q", form, resp.Header.Get("Location"))
			}
			triggers[id] = "http"
		}
		whURL := webhook["url"].(string)
		resp := h.do(t, "POST", whURL[len(h.url):], "", "job webhook").expect(t, http.StatusAccepted)
		triggers[resp.JSON(t)["call_id"].(string)] = "webhook"

		for id, trigger := range triggers {
			call := h.waitForCall(projA, "reader-a", id, "succeeded")
			if call["trigger"] != trigger || call["attempt"] != 1.0 || call["http_status"] != 200.0 ||
				call["app"] != "jobs" || call["route"] != "/echo" || call["finished_at"] == nil {
				t.Errorf("call %s: %v", id, call)
			}
			if result, _ := call["result"].(string); len(result) == 0 {
				t.Errorf("call %s has no result: %v", id, call)
			}
		}

		list := h.do(t, "GET", "/v1/"+projA+"/calls?app=jobs&route=echo&status=succeeded&limit=2", "reader-a", nil).expect(t, 200).JSON(t)
		if calls := list["calls"].([]any); len(calls) != 2 || list["next_marker"] == nil {
			t.Fatalf("first page: %v", list)
		}
		rest := h.do(t, "GET", "/v1/"+projA+"/calls?limit=10&marker="+list["next_marker"].(string), "reader-a", nil).expect(t, 200).JSON(t)
		if calls := rest["calls"].([]any); len(calls) != 2 {
			t.Errorf("second page: %v", rest)
		}
		h.do(t, "GET", "/v1/"+projA+"/calls?status=lost", "reader-a", nil).expect(t, 400)
		h.do(t, "GET", "/v1/"+projA+"/calls?since=yesterday", "reader-a", nil).expect(t, 400)

		// Other projects see nothing of it.
		for id := range triggers {
			h.do(t, "GET", "/v1/"+projA+"/calls/"+id, "member-b", nil).expect(t, 403)
			h.do(t, "GET", "/v1/"+projB+"/calls/"+id, "member-b", nil).expect(t, 404)
		}
		if calls := h.do(t, "GET", "/v1/"+projB+"/calls", "member-b", nil).expect(t, 200).JSON(t)["calls"].([]any); len(calls) != 0 {
			t.Errorf("project B lists A's calls: %v", calls)
		}
	})
}

func TestAsyncPayloadBound(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	h.createApp(projA, "member-a", "jobs")
	h.createRoute(projA, "member-a", "jobs", map[string]any{"path": "/echo", "image": "iron/echo", "type": "async"})
	big := make([]byte, 256<<10+1)
	h.do(t, "POST", "/r/"+projA+"/jobs/echo", "member-a", big).expect(t, http.StatusRequestEntityTooLarge)
	if calls := h.do(t, "GET", "/v1/"+projA+"/calls", "member-a", nil).expect(t, 200).JSON(t)["calls"].([]any); len(calls) != 0 {
		t.Errorf("a refused call was recorded: %v", calls)
	}
}

// withQueueOnly queues calls with a cap of 3 waiting per project and runs
// no worker, so that calls stay queued.
func withQueueOnly(_ *gateway.Config, d *gateway.Deps) {
	calls := d.Store.(picasso.CallStore)
	d.Calls = execution.NewEnqueuer(execution.EnqueuerConfig{Limits: quota.Defaults{picasso.ResourceQueued: 3}}, calls, d.Store, nil)
	d.CallStore = calls
}

func TestIdempotencyCapAndCancel(t *testing.T) {
	testdb.Each(t, func(t *testing.T, uri string) {
		h := newHarness(t, uri, withQueueOnly)
		h.createApp(projA, "member-a", "jobs")
		h.createRoute(projA, "member-a", "jobs", map[string]any{"path": "/echo", "image": "iron/echo", "type": "async"})
		url := "/r/" + projA + "/jobs/echo"

		first := h.do(t, "POST", url, "member-a", "a", "Idempotency-Key", "k1").expect(t, 202).JSON(t)["call_id"]
		again := h.do(t, "POST", url, "member-a", "b", "Idempotency-Key", "k1").expect(t, 202).JSON(t)["call_id"]
		if first != again {
			t.Errorf("one Idempotency-Key gave calls %v and %v", first, again)
		}
		other := h.do(t, "POST", url, "member-a", "c", "Idempotency-Key", "k2").expect(t, 202).JSON(t)["call_id"]
		h.do(t, "POST", url, "member-a", "d").expect(t, 202)
		if other == first {
			t.Error("two keys gave one call")
		}
		full := h.do(t, "POST", url, "member-a", "e").expect(t, http.StatusTooManyRequests)
		if full.Header.Get("Retry-After") == "" || !strings.Contains(full.ErrorMessage(t), "calls waiting") {
			t.Errorf("over the cap: %v %s", full.Header, full.Body)
		}
		// The key still answers when the project is at its cap: no new call is made.
		h.do(t, "POST", url, "member-a", "f", "Idempotency-Key", "k1").expect(t, 202)

		id := first.(string)
		h.do(t, "DELETE", "/v1/"+projA+"/calls/"+id, "reader-a", nil).expect(t, 403)
		h.do(t, "DELETE", "/v1/"+projB+"/calls/"+id, "member-b", nil).expect(t, 404)
		cancelled := h.do(t, "DELETE", "/v1/"+projA+"/calls/"+id, "member-a", nil).expect(t, 200).JSON(t)["call"].(map[string]any)
		if cancelled["status"] != "cancelled" {
			t.Errorf("cancelled call: %v", cancelled)
		}
		h.do(t, "DELETE", "/v1/"+projA+"/calls/"+id, "member-a", nil).expect(t, 409)
		h.do(t, "POST", "/v1/"+projA+"/calls/"+id+"/retry", "member-a", nil).expect(t, 409)
		h.do(t, "DELETE", "/v1/"+projA+"/calls/nosuchcall", "member-a", nil).expect(t, 404)
		// A cancelled call frees its place under the cap.
		h.do(t, "POST", url, "member-a", "g").expect(t, 202)
	})
}

func TestDeadCallIsRedriven(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		h.createApp(projA, "member-a", "jobs")
		h.createRoute(projA, "member-a", "jobs", map[string]any{"path": "/fail", "image": ironfunctionstest.ImageFail,
			"type": "async", "max_attempts": 2})
		id := h.do(t, "POST", "/r/"+projA+"/jobs/fail", "member-a", "x").expect(t, 202).JSON(t)["call_id"].(string)
		dead := h.waitForCall(projA, "reader-a", id, "dead")
		if dead["attempt"] != 2.0 || dead["error"] == "" {
			t.Errorf("dead call: %v", dead)
		}
		if n := len(h.waitForCalls(2)); n != 2 {
			t.Errorf("the function ran %d times, want 2", n)
		}
		deadList := h.do(t, "GET", "/v1/"+projA+"/calls?status=dead", "reader-a", nil).expect(t, 200).JSON(t)["calls"].([]any)
		if len(deadList) != 1 {
			t.Errorf("dead-letter list: %v", deadList)
		}
		h.do(t, "POST", "/v1/"+projA+"/calls/"+id+"/retry", "reader-a", nil).expect(t, 403)
		resp := h.do(t, "POST", "/v1/"+projA+"/calls/"+id+"/retry", "member-a", nil).expect(t, 202)
		if call := resp.JSON(t)["call"].(map[string]any); call["trigger"] != "retry" || resp.Header.Get("Location") == "" {
			t.Errorf("redriven call: %v", call)
		}
		h.waitForCall(projA, "reader-a", id, "dead")
		if n := len(h.waitForCalls(4)); n != 4 {
			t.Errorf("after the redrive the function ran %d times, want 4", n)
		}
	})
}

func TestSyncCallsAreRecordedOnlyWhenTheRouteOptsIn(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	h.createApp(projA, "member-a", "s")
	h.createRoute(projA, "member-a", "s", map[string]any{"path": "/kept", "image": "iron/echo", "record_sync": true})
	h.createRoute(projA, "member-a", "s", map[string]any{"path": "/plain", "image": "iron/echo"})
	h.do(t, "POST", "/r/"+projA+"/s/kept", "member-a", "remember me").expect(t, 200)
	h.do(t, "POST", "/r/"+projA+"/s/plain", "member-a", "forget me").expect(t, 200)
	calls := h.do(t, "GET", "/v1/"+projA+"/calls", "reader-a", nil).expect(t, 200).JSON(t)["calls"].([]any)
	if len(calls) != 1 {
		t.Fatalf("recorded calls: %v", calls)
	}
	summary := calls[0].(map[string]any)
	call := h.do(t, "GET", "/v1/"+projA+"/calls/"+summary["id"].(string), "reader-a", nil).expect(t, 200).JSON(t)["call"].(map[string]any)
	if call["route"] != "/kept" || call["status"] != "succeeded" || call["http_status"] != 200.0 ||
		!strings.Contains(call["result"].(string), "remember me") {
		t.Errorf("recorded sync call: %v", call)
	}
}
