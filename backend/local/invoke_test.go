package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

func TestHelloGreetsTheNameInTheBody(t *testing.T) {
	rt, _ := newRuntime(t, Options{})
	route := newRoute("/hello", "hello")
	for body, want := range map[string]string{
		`{"name": "Alice"}`: "Hello, Alice!\n",
		``:                  "Hello, World!\n",
	} {
		if got := invokeOK(t, rt, postCall(route, body)); got != want {
			t.Errorf("body %q: got %q, want %q", body, got, want)
		}
	}
}

func TestGETPassesThePayloadParameterAsStdin(t *testing.T) {
	rt, _ := newRuntime(t, Options{})
	call := postCall(newRoute("/hello", "hello:latest"), `{"name":"ignored body"}`)
	call.Method = "GET"
	call.RawQuery = "x=1&payload=" + url.QueryEscape(`{"name":"Bob"}`)
	if got := invokeOK(t, rt, call); got != "Hello, Bob!\n" {
		t.Errorf("got %q", got)
	}
}

func TestOtherMethodsPassTheBody(t *testing.T) {
	rt, _ := newRuntime(t, Options{})
	call := postCall(newRoute("/hello", "hello"), `{"name":"Carol"}`)
	call.Method = "PUT"
	if got := invokeOK(t, rt, call); got != "Hello, Carol!\n" {
		t.Errorf("got %q", got)
	}
}

func TestEchoSeesTheCallNotTheGateway(t *testing.T) {
	t.Setenv("PICASSO_FAKE_SECRET", "s3cret-of-the-gateway")
	rt, _ := newRuntime(t, Options{BaseURL: "https://faas.example.com/"})
	app := *testApp
	app.Config = map[string]string{"db-host": "db.internal", "shared": "from-app", "CALL_ID": "spoofed"}
	route := newRoute("/echo", "echo")
	route.Config = map[string]string{"shared": "from-route"}
	route.Headers = map[string][]string{"Content-Type": {"text/plain", "ignored"}, "X-Fn": {"1"}}
	body := "line one\nline two with = and 'quotes'\n"
	call := postCall(route, body)
	call.App = &app
	call.RawQuery = "a=1&b=2"
	call.RequestID = "req-42"
	call.Header = map[string][]string{
		"X-Trace-Id":             {"abc"},
		"X-Multi":                {"v1", "v2"},
		"X-Openstack-Request-Id": {"spoofed"},
	}

	res, err := rt.Invoke(testContext(t), call)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Header.Get("Content-Type"); got != "text/plain" {
		t.Errorf("Content-Type %q, want the route header's first value", got)
	}
	if got := res.Header.Get("X-Fn"); got != "1" {
		t.Errorf("X-Fn %q", got)
	}
	res.Body.Close()

	call.Body = strings.NewReader(body)
	out := invokeOK(t, rt, call)
	env, stdin, ok := strings.Cut(out, "--- stdin ---\n")
	if !ok {
		t.Fatalf("no stdin separator in %q", out)
	}
	if stdin != body {
		t.Errorf("stdin %q, want the body verbatim %q", stdin, body)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(env, "\n") {
		lines[l] = true
	}
	for _, want := range []string{
		"PATH=" + basePath,
		"METHOD=POST",
		"ROUTE=/echo",
		"REQUEST_URL=https://faas.example.com/r/" + app.BackendName + "/echo?a=1&b=2",
		"HEADER_X_TRACE_ID=abc",
		"HEADER_X_MULTI=v1 v2",
		"HEADER_X_OPENSTACK_REQUEST_ID=req-42",
		"DB_HOST=db.internal",
		"SHARED=from-route",
	} {
		if !lines[want] {
			t.Errorf("environment lacks %q:\n%s", want, env)
		}
	}
	if strings.Contains(env, "CALL_ID=spoofed") || !strings.Contains(env, "CALL_ID=") {
		t.Errorf("CALL_ID missing or overridden by config:\n%s", env)
	}
	if strings.Contains(out, "s3cret-of-the-gateway") || strings.Contains(out, "PICASSO_FAKE_SECRET") {
		t.Errorf("the gateway's environment leaked into the function:\n%s", env)
	}
}

func TestRequestURLIsRelativeWithoutBaseURL(t *testing.T) {
	rt, _ := newRuntime(t, Options{})
	out := invokeOK(t, rt, postCall(newRoute("/a/b", "echo"), ""))
	if want := "REQUEST_URL=/r/" + testApp.BackendName + "/a/b\n"; !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
}

func TestFunctionNotReadingStdinStillSucceeds(t *testing.T) {
	rt, _ := newRuntime(t, Options{})
	route := newRoute("/slow", "slow")
	route.Config = map[string]string{"SLEEP": "0"}
	if got := invokeOK(t, rt, postCall(route, strings.Repeat("x", 1<<20))); got != "done\n" {
		t.Errorf("got %q", got)
	}
}

func TestFailureIsBadGatewayWithoutStderr(t *testing.T) {
	rt, logs := newRuntime(t, Options{})
	call := postCall(newRoute("/fail", "fail"), "")
	call.RequestID = "req-fail-1"
	e := invokeErr(t, testContext(t), rt, call, picasso.EBADGATEWAY)
	if !strings.Contains(e.Message, "exit status 1") || !strings.Contains(e.Message, "req-fail-1") {
		t.Errorf("message %q lacks the exit status or the request id", e.Message)
	}
	if strings.Contains(e.Error(), "hunter2") {
		t.Errorf("stderr leaked into the error: %q", e.Error())
	}
	if log := logs.String(); !strings.Contains(log, "hunter2") || !strings.Contains(log, "req-fail-1") {
		t.Errorf("stderr with the request id should be logged, log:\n%s", log)
	}
}

func TestOutputOverTheLimitFails(t *testing.T) {
	rt, _ := newRuntime(t, Options{MaxOutputBytes: 4096})
	e := invokeErr(t, testContext(t), rt, postCall(newRoute("/echo", "echo"), strings.Repeat("y", 100_000)), picasso.EBADGATEWAY)
	if !strings.Contains(e.Message, "too large") {
		t.Errorf("message %q", e.Message)
	}
}

// marker returns a unique environment assignment that lets a test find
// the processes of one call.
func marker(t *testing.T) (key, value string) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "TEST_MARKER", hex.EncodeToString(b[:])
}

func TestTimeoutKillsTheWholeProcessGroup(t *testing.T) {
	rt, _ := newRuntime(t, Options{})
	key, value := marker(t)
	route := newRoute("/slow", "slow")
	route.Timeout = 1
	route.Config = map[string]string{"SLEEP": "60", key: value}

	errc := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := rt.Invoke(testContext(t), postCall(route, ""))
		errc <- err
	}()
	// The shell and its child sleep: both must be gone after the timeout.
	waitForProcesses(t, key+"="+value, 2)
	err := <-errc
	if !picasso.IsCode(err, picasso.ETIMEOUT) {
		t.Fatalf("got %v, want ETIMEOUT", err)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("timeout took %v", elapsed)
	}
	waitGone(t, key+"="+value)
}

func TestCancelledCallKillsTheProcessGroup(t *testing.T) {
	rt, _ := newRuntime(t, Options{})
	key, value := marker(t)
	route := newRoute("/slow", "slow")
	route.Config = map[string]string{"SLEEP": "60", key: value}

	ctx, cancel := context.WithCancel(testContext(t))
	errc := make(chan error, 1)
	go func() {
		_, err := rt.Invoke(ctx, postCall(route, ""))
		errc <- err
	}()
	waitForProcesses(t, key+"="+value, 2)
	cancel()
	if err := <-errc; !picasso.IsCode(err, picasso.EUNAVAILABLE) {
		t.Fatalf("got %v, want EUNAVAILABLE", err)
	}
	waitGone(t, key+"="+value)
}

func TestExcessCallsWaitThenGetBusy(t *testing.T) {
	rt, _ := newRuntime(t, Options{})
	key, value := marker(t)
	running := newRoute("/slow", "slow")
	running.Timeout = 30
	running.Config = map[string]string{"SLEEP": "60", key: value}

	ctx, cancel := context.WithCancel(testContext(t))
	done := make(chan struct{})
	go func() {
		defer close(done)
		rt.Invoke(ctx, postCall(running, ""))
	}()
	defer func() { cancel(); <-done }()
	waitForProcesses(t, key+"="+value, 1)

	// The same route, as a later call with a shorter timeout sees it: it
	// waits for the slot that long, then gives up.
	waiting := newRoute("/slow", "hello")
	waiting.Timeout = 1
	start := time.Now()
	e := invokeErr(t, testContext(t), rt, postCall(waiting, ""), picasso.EUNAVAILABLE)
	if !strings.Contains(e.Message, "busy") {
		t.Errorf("message %q", e.Message)
	}
	if elapsed := time.Since(start); elapsed < 900*time.Millisecond {
		t.Errorf("gave up after %v, before the route timeout", elapsed)
	}

	// Another route of the app is not affected.
	invokeOK(t, rt, postCall(newRoute("/hello", "hello"), ""))
}

func TestExcessCallRunsWhenASlotFrees(t *testing.T) {
	rt, _ := newRuntime(t, Options{})
	route := newRoute("/slow", "slow")
	route.Config = map[string]string{"SLEEP": "0.5"}

	results := make(chan string, 2)
	for range 2 {
		go func() {
			res, err := rt.Invoke(testContext(t), postCall(route, ""))
			if err != nil {
				results <- err.Error()
				return
			}
			res.Body.Close()
			results <- "ok"
		}()
	}
	for range 2 {
		if r := <-results; r != "ok" {
			t.Errorf("call failed: %s", r)
		}
	}
}

func TestUnknownImageAtCallTimeIsBadGateway(t *testing.T) {
	rt, _ := newRuntime(t, Options{})
	invokeErr(t, testContext(t), rt, postCall(newRoute("/x", "no-such-function"), ""), picasso.EBADGATEWAY)
	invokeErr(t, testContext(t), rt, postCall(newRoute("/x", "../hello"), ""), picasso.EBADGATEWAY)
}
