package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/picasso-faas/picasso/backend/ironfunctions"
	"github.com/picasso-faas/picasso/backend/ironfunctionstest"
	"github.com/picasso-faas/picasso/gateway"
	"github.com/picasso-faas/picasso/internal/mariadbtest"
	"github.com/picasso-faas/picasso/keystone/keystonetest"
)

// Deadlines of the fault tests. A faulted request must be answered
// within its deadline plus faultSlack, however the dependency fails.
const (
	faultRouteTimeout   = 1 * time.Second
	faultInvokeMargin   = 300 * time.Millisecond // the harness's
	faultBackendTimeout = 1 * time.Second
	faultSlack          = 2 * time.Second
)

// noLeaks fails the test if goroutines it started outlive it. Called
// first, its check runs after every other cleanup of the test.
func noLeaks(t *testing.T) {
	t.Helper()
	existing := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, existing) })
}

// newLinkedHarness is a harness whose backend is reached through a
// faultyLink in front of the IronFunctions fake.
func newLinkedHarness(t *testing.T, dbURI string) (*harness, *faultyLink) {
	t.Helper()
	fake := ironfunctionstest.New()
	t.Cleanup(fake.Close)
	link := newFaultyLink(t, strings.TrimPrefix(fake.URL(), "http://"))
	client, err := ironfunctions.New(link.URL(), ironfunctions.Options{
		Timeout: faultBackendTimeout, PingTimeout: 300 * time.Millisecond, DialTimeout: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(context.Background()) })
	h := newHarness(t, dbURI, func(_ *gateway.Config, d *gateway.Deps) {
		d.Backend = client
		for i, c := range d.Checks {
			if c.Name == "backend" {
				d.Checks[i].Check = client.Ping
			}
		}
	})
	h.fake = fake
	return h, link
}

// concurrently runs the functions at once and waits for them all. They
// may report with t.Error, not t.Fatal.
func concurrently(t *testing.T, fs ...func()) {
	t.Helper()
	var wg sync.WaitGroup
	for _, f := range fs {
		wg.Go(f)
	}
	wg.Wait()
}

// timed sends a request and fails t when the answer took longer than
// bound.
func (h *harness) timed(t *testing.T, bound time.Duration, method, path, token, body string) *response {
	t.Helper()
	start := time.Now()
	resp, err := h.try(context.Background(), method, path, token, jsonBody(body))
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return &response{}
	}
	if elapsed := time.Since(start); elapsed > bound {
		t.Errorf("%s %s answered %d after %s, bound %s", method, path, resp.Status, elapsed.Round(time.Millisecond), bound)
	}
	return resp
}

// recovers waits for method path to answer 200 once a fault is gone. It
// polls, because the shared Keystone behind the link may itself answer a
// validation after the validator's short timeout on a loaded machine.
func recovers(t *testing.T, h *harness, method, path, token, body string) {
	t.Helper()
	status := 0
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := h.try(context.Background(), method, path, token, jsonBody(body))
		if err == nil {
			if status = resp.Status; status == http.StatusOK {
				return
			}
		}
	}
	t.Errorf("%s %s still answers %d after the fault ended, want 200", method, path, status)
}

// readiness returns /readyz's status and its per-check verdicts.
func (h *harness) readiness(t *testing.T) (int, map[string]string) {
	t.Helper()
	resp := h.timed(t, 3*time.Second, "GET", "/readyz", "", "")
	var body struct {
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatalf("/readyz is not JSON: %s", resp.Body)
	}
	return resp.Status, body.Checks
}

func TestBackendFaults(t *testing.T) {
	noLeaks(t)
	h, link := newLinkedHarness(t, sqliteURI(t))
	app := h.createApp(projA, "member-a", "f")
	h.createRoute(projA, "member-a", "f", map[string]any{"path": "/ok", "image": "iron/echo", "timeout": 1, "is_public": true})
	public := "/r/" + app.BackendName + "/ok"
	private := "/r/" + projA + "/f/ok"
	h.do(t, "POST", public, "", jsonBody("warm")).expect(t, http.StatusOK)

	callBound := faultRouteTimeout + faultInvokeMargin + faultSlack
	manageBound := faultBackendTimeout + faultSlack
	cases := []struct {
		name   string
		fault  fault
		call   int // status of a function call
		manage int // status of a management call that reaches the backend
	}{
		{"unreachable", refuse, http.StatusBadGateway, http.StatusBadGateway},
		{"hanging", hang, http.StatusGatewayTimeout, http.StatusGatewayTimeout},
		{"slower than the timeout", slow, http.StatusGatewayTimeout, http.StatusGatewayTimeout},
		{"answering garbage", garbage, http.StatusBadGateway, http.StatusBadGateway},
		{"resetting before answering", resetEarly, http.StatusBadGateway, http.StatusBadGateway},
		{"answering 500", internalError, http.StatusBadGateway, http.StatusBadGateway},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Updates write the backend first, so a refused one leaves the
			// store untouched, update times included.
			before := h.state(t)
			link.set(c.fault)
			concurrently(t,
				func() { h.timed(t, callBound, "POST", public, "", "x").expectError(t, c.call) },
				func() { h.timed(t, callBound, "POST", private, "member-a", "x").expectError(t, c.call) },
				func() {
					h.timed(t, manageBound, "POST", "/v1/"+projA+"/apps", "member-a", `{"app":{"name":"tmp"}}`).expectError(t, c.manage)
				},
				func() {
					h.timed(t, manageBound, "PUT", "/v1/"+projA+"/apps/f/routes/ok", "member-a", `{"memory":256}`).expectError(t, c.manage)
				},
			)
			// What the backend refused is not half-done in the store.
			h.do(t, "GET", "/v1/"+projA+"/apps/tmp", "member-a", nil).expectError(t, http.StatusNotFound)
			if status, checks := h.readiness(t); status != http.StatusServiceUnavailable || checks["backend"] != "down" || checks["database"] != "ok" {
				t.Errorf("/readyz answered %d %v with the backend down", status, checks)
			}

			// Service resumes by itself once the backend is back.
			link.set(passThrough)
			h.timed(t, callBound, "POST", public, "", "x").expect(t, http.StatusOK)
			if status, checks := h.readiness(t); status != http.StatusOK {
				t.Errorf("/readyz answered %d %v after the backend returned", status, checks)
			}
			if after := h.state(t); after != before {
				t.Errorf("the failed requests changed the state:\nbefore %s\nafter  %s", before, after)
			}
			h.do(t, "POST", "/v1/"+projA+"/apps", "member-a", jsonBody(`{"app":{"name":"tmp"}}`)).expect(t, http.StatusOK)
			h.do(t, "DELETE", "/v1/"+projA+"/apps/tmp", "member-a", nil).expect(t, http.StatusOK)
		})
	}
	h.expectInSync(t)
}

// TestBackendResetMidResponse cuts the function's answer after the status
// line and part of the body: the caller must be able to tell that the
// answer is incomplete, not receive a well-formed, truncated 200.
func TestBackendResetMidResponse(t *testing.T) {
	noLeaks(t)
	h, link := newLinkedHarness(t, sqliteURI(t))
	app := h.createApp(projA, "member-a", "f")
	h.createRoute(projA, "member-a", "f", map[string]any{"path": "/ok", "image": "iron/echo", "timeout": 1, "is_public": true})
	link.set(resetMidBody)
	req, err := http.NewRequest("POST", h.url+"/r/"+app.BackendName+"/ok", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return // the connection was cut before the status: detectable
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK && err == nil {
		t.Errorf("a cut-short answer reached the caller as a complete 200: %q", body)
	}
	link.set(passThrough)
	h.do(t, "POST", "/r/"+app.BackendName+"/ok", "", jsonBody("x")).expect(t, http.StatusOK)
}

// TestKeystoneFaults puts a faultyLink in front of the shared Keystone
// (which is never stopped: other packages use it) and checks that
// authenticated requests fail with 503 within the validator's timeout,
// that public calls need no Keystone, and that service resumes when
// Keystone answers again.
func TestKeystoneFaults(t *testing.T) {
	env := keystonetest.Connect(t)
	noLeaks(t)
	project := env.NewProject(t)
	token := env.NewUser(t, project, "member").Token(t)
	upstream := strings.TrimPrefix(strings.TrimPrefix(env.AuthURL, "http://"), "https://")
	upstream, _, _ = strings.Cut(upstream, "/")
	link := newFaultyLink(t, upstream)
	opts := env.ServiceOptions()
	opts.AuthURL = link.URL() + "/v3"
	opts.CacheTTL = 0 // every request asks Keystone
	opts.Timeout = time.Second
	h := newHarness(t, sqliteURI(t), withKeystone(newKeystoneValidator(t, opts)))
	app := h.createApp(project.ID, token, "k")
	h.createRoute(project.ID, token, "k", map[string]any{"path": "/ok", "image": "iron/echo", "is_public": true})
	public := "/r/" + app.BackendName + "/ok"
	private := "/r/" + project.ID + "/k/ok"

	bound := opts.Timeout + faultSlack
	for _, c := range []struct {
		name  string
		fault fault
	}{
		{"stopped", refuse},
		{"hanging", hang},
		{"slow", slow},
		{"answering 500", internalError},
		{"answering garbage", garbage},
		{"resetting", resetEarly},
	} {
		t.Run(c.name, func(t *testing.T) {
			link.set(c.fault)
			concurrently(t,
				func() {
					h.timed(t, bound, "GET", "/v1/"+project.ID+"/apps/k", token, "").expectError(t, http.StatusServiceUnavailable)
				},
				func() { h.timed(t, bound, "POST", private, token, "x").expectError(t, http.StatusServiceUnavailable) },
				func() {
					h.timed(t, bound, "POST", "/v1/"+project.ID+"/apps", token, `{"app":{"name":"new"}}`).expectError(t, http.StatusServiceUnavailable)
				},
				// Public routes need no identity.
				func() { h.timed(t, bound, "POST", public, "", "x").expectStatus(t, http.StatusOK) },
				// A missing token is refused without asking Keystone.
				func() {
					h.timed(t, bound, "GET", "/v1/"+project.ID+"/apps/k", "", "").expectError(t, http.StatusUnauthorized)
				},
			)
			link.set(passThrough)
			recovers(t, h, "GET", "/v1/"+project.ID+"/apps/k", token, "")
			recovers(t, h, "POST", private, token, "x")
		})
	}
	h.do(t, "GET", "/v1/"+project.ID+"/apps/new", token, nil).expectError(t, http.StatusNotFound)
}

// outcome is one answer seen during the database outage.
type outcome struct {
	request string
	status  int
	elapsed time.Duration
	err     error
}

func TestDatabaseStopAndRestart(t *testing.T) {
	noLeaks(t)
	db := mariadbtest.Start(t)
	h := newHarness(t, db.CreateDatabase("picasso"))
	app := h.createApp(projA, "member-a", "d")
	h.createRoute(projA, "member-a", "d", map[string]any{"path": "/ok", "image": "iron/echo", "is_public": true})
	public := "/r/" + app.BackendName + "/ok"
	private := "/r/" + projA + "/d/ok"
	const bound = 6 * time.Second // the driver's dial timeout (5 s) and then some

	t.Run("stopped while idle", func(t *testing.T) {
		h.do(t, "POST", public, "", jsonBody("warm")).expect(t, http.StatusOK)
		h.do(t, "POST", private, "member-a", jsonBody("warm")).expect(t, http.StatusOK)
		db.Stop()
		if status, checks := h.readiness(t); status != http.StatusServiceUnavailable || checks["database"] != "down" {
			t.Errorf("/readyz answered %d %v with the database stopped", status, checks)
		}
		h.timed(t, bound, "GET", "/v1/"+projA+"/apps/d", "member-a", "").expectError(t, http.StatusServiceUnavailable)
		h.timed(t, bound, "GET", "/v1/"+projA+"/apps", "member-a", "").expectError(t, http.StatusServiceUnavailable)
		h.timed(t, bound, "POST", "/v1/"+projA+"/apps", "member-a", `{"app":{"name":"new"}}`).expectError(t, http.StatusServiceUnavailable)
		h.timed(t, bound, "DELETE", "/v1/"+projA+"/apps/d/routes/ok", "member-a", "").expectError(t, http.StatusServiceUnavailable)
		// Known routes keep running from the route cache.
		h.timed(t, bound, "POST", public, "", "x").expect(t, http.StatusOK)
		h.timed(t, bound, "POST", private, "member-a", "x").expect(t, http.StatusOK)
		// An unknown one needs the store.
		h.timed(t, bound, "POST", "/r/"+projA+"/d/other", "member-a", "x").expectError(t, http.StatusServiceUnavailable)

		db.Start()
		h.waitReady(t)
		h.do(t, "GET", "/v1/"+projA+"/apps/d", "member-a", nil).expect(t, http.StatusOK)
		h.do(t, "POST", "/v1/"+projA+"/apps", "member-a", jsonBody(`{"app":{"name":"new"}}`)).expect(t, http.StatusOK)
		h.do(t, "DELETE", "/v1/"+projA+"/apps/new", "member-a", nil).expect(t, http.StatusOK)
		h.expectInSync(t)
	})

	t.Run("stopped mid-traffic", func(t *testing.T) {
		stop := make(chan struct{})
		outcomes := make(chan outcome, 10000)
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Go(func() {
				name := fmt.Sprintf("w%d", w)
				requests := []struct{ method, path, body string }{
					{"GET", "/v1/" + projA + "/apps/d", ""},
					{"GET", "/v1/" + projA + "/apps/d/routes", ""},
					{"POST", "/v1/" + projA + "/apps", `{"app":{"name":"` + name + `"}}`},
					{"PUT", "/v1/" + projA + "/apps/" + name, `{"description":"x"}`},
					{"DELETE", "/v1/" + projA + "/apps/" + name, ""},
					{"POST", public, "x"},
					{"POST", private, "x"},
					{"GET", "/readyz", ""},
				}
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					r := requests[i%len(requests)]
					start := time.Now()
					ctx, cancel := context.WithTimeout(context.Background(), 2*bound)
					resp, err := h.try(ctx, r.method, r.path, "member-a", jsonBody(r.body))
					cancel()
					o := outcome{request: r.method + " " + r.path, elapsed: time.Since(start), err: err}
					if resp != nil {
						o.status = resp.Status
					}
					outcomes <- o
				}
			})
		}
		time.Sleep(200 * time.Millisecond)
		db.Stop()
		time.Sleep(300 * time.Millisecond)
		db.Start()
		h.waitReady(t)
		time.Sleep(200 * time.Millisecond)
		close(stop)
		wg.Wait()
		close(outcomes)

		seen := map[int]int{}
		for o := range outcomes {
			seen[o.status]++
			switch {
			case o.err != nil:
				t.Errorf("%s: %v after %s", o.request, o.err, o.elapsed)
			case o.status >= 500 && o.status != http.StatusServiceUnavailable:
				t.Errorf("%s answered %d during the outage", o.request, o.status)
			case o.elapsed > bound:
				t.Errorf("%s took %s during the outage", o.request, o.elapsed)
			}
		}
		t.Logf("statuses during the outage: %v", seen)
		if seen[http.StatusServiceUnavailable] == 0 {
			t.Error("no request noticed the outage")
		}
		h.do(t, "GET", "/v1/"+projA+"/apps/d", "member-a", nil).expect(t, http.StatusOK)
		h.do(t, "POST", public, "", jsonBody("x")).expect(t, http.StatusOK)
	})
}

// waitReady waits until /readyz answers 200, as a load balancer would
// before it sends traffic again, and fails t after a generous bound.
func (h *harness) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		status, checks := h.readiness(t)
		if status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still answers %d %v", status, checks)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
