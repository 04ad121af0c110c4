package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/local"
	"github.com/picasso-faas/picasso/gateway"
	"github.com/picasso-faas/picasso/internal/testdb"
	"github.com/picasso-faas/picasso/quota"
)

// withLimits gives the harness the same limits for every project, and a
// gate enforcing them.
func withLimits(limits quota.Defaults) harnessOption {
	return withGate(limits, quota.GateOptions{Limits: limits})
}

func withGate(limits quota.Defaults, opts quota.GateOptions) harnessOption {
	return func(_ *gateway.Config, deps *gateway.Deps) {
		deps.Limits = limits
		deps.Gate = quota.NewGate(opts)
	}
}

func withMaxInFlight(n int) harnessOption {
	return func(cfg *gateway.Config, _ *gateway.Deps) { cfg.MaxInFlightCalls = n }
}

// quotaOf returns error.quota of a refusal.
func quotaOf(t *testing.T, r *response) map[string]any {
	t.Helper()
	q, ok := r.JSON(t)["error"].(map[string]any)["quota"].(map[string]any)
	if !ok {
		t.Fatalf("no error.quota in %s", r.Body)
	}
	return q
}

func TestCountLimitsRefuseCreates(t *testing.T) {
	h := newHarness(t, sqliteURI(t), withLimits(quota.Defaults{
		picasso.ResourceApps: 1, picasso.ResourceRoutes: 2,
	}))
	h.createApp(projA, "member-a", "first")

	resp := h.do(t, "POST", "/v1/"+projA+"/apps", "member-a", map[string]any{"app": map[string]any{"name": "second"}}).expect(t, 403)
	if msg := resp.ErrorMessage(t); msg != "Quota exceeded for function_apps: requested 1, but already used 1 of 1" {
		t.Errorf("message %q", msg)
	}
	q := quotaOf(t, resp)
	if q["resource"] != "function_apps" || q["limit"] != 1.0 || q["used"] != 1.0 || q["requested"] != 1.0 {
		t.Errorf("quota %v", q)
	}
	h.do(t, "GET", "/v1/"+projA+"/apps/second", "member-a", nil).expect(t, 404)
	h.createApp(projB, "member-b", "first") // B has its own count

	route := func(path string) map[string]any { return map[string]any{"path": path, "image": "iron/echo"} }
	h.createRoute(projA, "member-a", "first", route("/one"))
	h.createRoute(projA, "member-a", "first", route("/two"))
	resp = h.do(t, "POST", "/v1/"+projA+"/apps/first/routes", "member-a", map[string]any{"route": route("/three")}).expect(t, 403)
	if msg := resp.ErrorMessage(t); msg != "Quota exceeded for function_routes: requested 1, but already used 2 of 2" {
		t.Errorf("message %q", msg)
	}
	h.do(t, "DELETE", "/v1/"+projA+"/apps/first/routes/one", "member-a", nil).expect(t, 200)
	h.createRoute(projA, "member-a", "first", route("/three")) // a delete frees a slot

	wantRefusals(t, h, map[string]int{"function_apps": 1, "function_routes": 1})
}

func TestTriggerLimitRefusesCreates(t *testing.T) {
	h := newHarness(t, sqliteURI(t), withBrokers, withLimits(quota.Defaults{picasso.ResourceTriggers: 1}))
	h.createApp(projA, "member-a", "events")
	h.createRoute(projA, "member-a", "events", map[string]any{"path": "/on-event", "image": "iron/echo"})
	base := "/v1/" + projA + "/triggers"
	h.do(t, "POST", base, "member-a", amqpTrigger("first", picasso.TenantBrokerPrefix(projA)+"one")).expect(t, 200)
	resp := h.do(t, "POST", base, "member-a", amqpTrigger("second", picasso.TenantBrokerPrefix(projA)+"two")).expect(t, 403)
	if msg := resp.ErrorMessage(t); msg != "Quota exceeded for function_triggers: requested 1, but already used 1 of 1" {
		t.Errorf("message %q", msg)
	}
	if list := h.do(t, "GET", base, "reader-a", nil).expect(t, 200).JSON(t)["triggers"].([]any); len(list) != 1 {
		t.Errorf("%d triggers after the refusal, want 1", len(list))
	}
	wantRefusals(t, h, map[string]int{"function_triggers": 1})
}

// withUploads lets the harness take code uploads: a local runtime that
// unpacks them, with no sandbox since nothing is run.
func withUploads(t *testing.T) harnessOption {
	return codeRuntime(t, t.TempDir(), local.SandboxNone)
}

// TestCodeLimitRefusesUploads: an upload beyond function_code_bytes is
// refused with 403 naming the resource and leaves the route's code as it
// was; replacing a package needs room only for what it adds.
func TestCodeLimitRefusesUploads(t *testing.T) {
	first := zipFiles(t, map[string]string{"main.py": echoPy})
	limit := int64(len(first)) + 10
	h := newHarness(t, sqliteURI(t), withUploads(t), withLimits(quota.Defaults{picasso.ResourceCodeBytes: limit}))
	h.createApp(projA, "member-a", "code")
	for _, path := range []string{"/a", "/b"} {
		h.createRoute(projA, "member-a", "code", map[string]any{"path": path, "runtime": "python3", "handler": "main.handler"})
	}
	codeURL := func(route string) string { return "/v1/" + projA + "/apps/code/routes/" + route + "/code" }
	upload := func(route string, data []byte) *response {
		return h.do(t, "PUT", codeURL(route), "member-a", data, "Content-Type", "application/zip")
	}

	upload("a", first).expect(t, 200)
	resp := upload("b", first).expect(t, 403)
	want := fmt.Sprintf("Quota exceeded for function_code_bytes: requested %d, but already used %d of %d", len(first), len(first), limit)
	if msg := resp.ErrorMessage(t); msg != want {
		t.Errorf("message %q, want %q", msg, want)
	}
	q := quotaOf(t, resp)
	if q["resource"] != "function_code_bytes" || q["limit"] != float64(limit) || q["used"] != float64(len(first)) ||
		q["requested"] != float64(len(first)) {
		t.Errorf("quota %v", q)
	}
	h.do(t, "GET", codeURL("b"), "member-a", nil).expect(t, 404)

	// A new version of /a replaces the old one: a package a few bytes
	// larger fits, within the limit.
	second := zipFiles(t, map[string]string{"main.py": echoPy + "# v2\n"})
	if int64(len(second)) > limit || len(second) <= len(first) {
		t.Fatalf("second package of %d bytes, want more than %d and at most %d", len(second), len(first), limit)
	}
	upload("a", second).expect(t, 200)
	got := h.do(t, "GET", "/v1/"+projA+"/limits", "reader-a", nil).expect(t, 200).JSON(t)["limits"].(map[string]any)["function_code_bytes"]
	if want := fmt.Sprintf(`{"limit":%d,"used":%d}`, limit, len(second)); compactJSON(t, got) != want {
		t.Errorf("function_code_bytes %s, want %s", compactJSON(t, got), want)
	}
	wantRefusals(t, h, map[string]int{"function_code_bytes": 1})
}

// wantRefusals reads the refusal counter from /metrics.
func wantRefusals(t *testing.T, h *harness, want map[string]int) {
	t.Helper()
	metrics := string(h.do(t, "GET", "/metrics", "", nil).expect(t, 200).Body)
	for resource, n := range want {
		line := fmt.Sprintf("picasso_quota_refusals_total{resource=%q} %d\n", resource, n)
		if !strings.Contains(metrics, line) {
			t.Errorf("metrics lack %q", line)
		}
	}
}

func TestConcurrentCreatesThroughTheAPI(t *testing.T) {
	const limit, attempts = 3, 10
	testdb.Each(t, func(t *testing.T, uri string) {
		h := newHarness(t, uri, withLimits(quota.Defaults{picasso.ResourceApps: limit}))
		statuses := make(chan int, attempts)
		var wg sync.WaitGroup
		for i := range attempts {
			wg.Go(func() {
				body := map[string]any{"app": map[string]any{"name": fmt.Sprintf("app-%d", i)}}
				statuses <- h.do(t, "POST", "/v1/"+projA+"/apps", "member-a", body).Status
			})
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for s := range statuses {
			count[s]++
		}
		if count[200] != limit || count[403] != attempts-limit {
			t.Errorf("statuses %v, want %d × 200 and %d × 403", count, limit, attempts-limit)
		}
	})
}

func TestLimitsView(t *testing.T) {
	h := newHarness(t, sqliteURI(t), withLimits(quota.Defaults{
		picasso.ResourceApps: 20, picasso.ResourceConcurrency: 5, picasso.ResourceRate: 50,
	}))
	h.createApp(projA, "member-a", "web")
	h.createRoute(projA, "member-a", "web", map[string]any{"path": "/a", "image": "iron/echo"})

	resp := h.do(t, "GET", "/v1/"+projA+"/limits", "reader-a", nil).expect(t, 200)
	limits := resp.JSON(t)["limits"].(map[string]any)
	if len(limits) != len(picasso.Resources) {
		t.Errorf("%d resources, want %d: %s", len(limits), len(picasso.Resources), resp.Body)
	}
	for resource, want := range map[string]string{
		"function_apps":        `{"limit":20,"used":1}`,
		"function_routes":      `{"limit":-1,"used":1}`,
		"function_concurrency": `{"limit":5,"used":0}`,
		"function_rate":        `{"limit":50}`,
		"function_triggers":    `{"limit":-1,"used":0}`,
		"function_schedules":   `{"limit":-1,"used":0}`,
		"function_code_bytes":  `{"limit":-1,"used":0}`,
	} {
		if got := compactJSON(t, limits[resource]); got != want {
			t.Errorf("%s: %s, want %s", resource, got, want)
		}
	}
	h.do(t, "GET", "/v1/"+projA+"/limits", "member-b", nil).expect(t, 403)
	h.do(t, "GET", "/v1/"+projA+"/limits", "", nil).expect(t, 401)
	if got := compactJSON(t, h.do(t, "GET", "/v1/"+projB+"/limits", "reader-b", nil).expect(t, 200).JSON(t)["limits"].(map[string]any)["function_apps"]); got != `{"limit":20,"used":0}` {
		t.Errorf("B's function_apps: %s", got)
	}
}

// TestProjectAtItsConcurrencyLimitLeavesOthersAlone: A sends more calls
// that hang than the replica has slots (4); its limit (2) admits two and
// refuses the rest with 429 and Retry-After, so B's calls still run.
// Without the per-project limit A would hold all four slots and B would
// get 503.
func TestProjectAtItsConcurrencyLimitLeavesOthersAlone(t *testing.T) {
	const aLimit, replicaSlots, aCalls = 2, 4, 6
	h := newHarness(t, sqliteURI(t), withLimits(quota.Defaults{picasso.ResourceConcurrency: aLimit}), withMaxInFlight(replicaSlots))
	h.createApp(projA, "member-a", "slow")
	h.createRoute(projA, "member-a", "slow", map[string]any{"path": "/hang", "image": "sleep", "timeout": 60})
	h.createApp(projB, "member-b", "fast")
	h.createRoute(projB, "member-b", "fast", map[string]any{"path": "/echo", "image": "iron/echo"})
	h.fake.SetHang(true)

	ctx, cancel := context.WithCancel(context.Background())
	var calls sync.WaitGroup
	t.Cleanup(func() { cancel(); calls.Wait() })
	refused := make(chan *http.Response, aCalls)
	for range aCalls {
		calls.Go(func() {
			req, _ := http.NewRequestWithContext(ctx, "POST", h.url+"/r/"+projA+"/slow/hang", strings.NewReader("x"))
			req.Header.Set("X-Auth-Token", "member-a")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return // a hanging call, cancelled at the end
			}
			resp.Body.Close()
			refused <- resp
		})
	}
	for range aCalls - aLimit {
		resp := <-refused
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
			t.Errorf("A's excess call: %d, Retry-After %q; want 429, 1", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	waitInFlight(t, h, projA, "reader-a", aLimit)

	for range 5 {
		h.do(t, "POST", "/r/"+projB+"/fast/echo", "member-b", "hi").expect(t, 200)
	}
	resp := h.do(t, "POST", "/r/"+projA+"/slow/hang", "member-a", "x").expect(t, 429)
	if q := quotaOf(t, resp); q["resource"] != "function_concurrency" || q["limit"] != float64(aLimit) {
		t.Errorf("quota %v", q)
	}
	if msg := resp.ErrorMessage(t); !strings.Contains(msg, "function_concurrency") {
		t.Errorf("message %q does not name the resource", msg)
	}
	wantRefusals(t, h, map[string]int{"function_concurrency": aCalls - aLimit + 1})
}

func TestRateLimitAnswers429(t *testing.T) {
	limits := quota.Defaults{picasso.ResourceRate: 1}
	stopped := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // the bucket never refills
	h := newHarness(t, sqliteURI(t), withGate(limits, quota.GateOptions{Limits: limits, Now: func() time.Time { return stopped }}))
	app := h.createApp(projA, "member-a", "f")
	h.createRoute(projA, "member-a", "f", map[string]any{"path": "/ok", "image": "iron/echo", "is_public": true})
	public := "/r/" + app.BackendName + "/ok"

	// The bucket holds one call; the next are refused, whichever URL they
	// come through, and told to come back when the next token is due.
	h.do(t, "POST", public, "", "x").expect(t, 200)
	for _, path := range []string{public, "/r/" + projA + "/f/ok", "/v1/r/" + projA + "/f/ok"} {
		resp := h.do(t, "POST", path, "member-a", "x").expect(t, 429)
		if got := resp.Header.Get("Retry-After"); got != "1" {
			t.Errorf("%s: Retry-After %q, want 1", path, got)
		}
		if q := quotaOf(t, resp); q["resource"] != "function_rate" || q["limit"] != 1.0 {
			t.Errorf("%s: quota %v", path, q)
		}
	}
	wantRefusals(t, h, map[string]int{"function_rate": 3})
}

// waitInFlight polls the limits view until the project has n calls in
// flight.
func waitInFlight(t *testing.T, h *harness, project, token string, n float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		limits := h.do(t, "GET", "/v1/"+project+"/limits", token, nil).expect(t, 200).JSON(t)["limits"].(map[string]any)
		if used := limits["function_concurrency"].(map[string]any)["used"]; used == n {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("%v calls in flight, want %v", used, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func compactJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
