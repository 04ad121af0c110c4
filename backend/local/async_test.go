package local

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

// recordScript writes its call id and stdin to stderr, which the runtime
// logs: the sandbox lets a function write nowhere else that outlives it.
const recordScript = `{ echo "recorded $CALL_ID"; cat; } >&2`

func asyncRoute(path, image string) *picasso.Route {
	r := newRoute(path, image)
	r.Type = picasso.RouteAsync
	return r
}

func TestAsyncAnswers202AndRunsInTheBackground(t *testing.T) {
	rt, logs := newRuntime(t, Options{FunctionsDir: functionsDir(t, map[string]string{"record": recordScript})})
	route := asyncRoute("/record", "record")

	// The run must outlive the request that started it.
	ctx, cancel := context.WithCancel(testContext(t))
	res, err := rt.Invoke(ctx, postCall(route, "async payload"))
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Status != 202 || res.CallID == "" {
		t.Fatalf("status %d, call id %q; want 202 with a call id", res.Status, res.CallID)
	}

	closeCtx, cancelClose := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelClose()
	mustDo(t, rt.Close(closeCtx))
	log := logs.String()
	if want := "recorded " + res.CallID + "\\nasync payload"; !strings.Contains(log, want) {
		t.Errorf("the function's record %q is not in the log:\n%s", want, log)
	}
	if !strings.Contains(log, "async call finished") {
		t.Errorf("the outcome is not logged with the call id:\n%s", log)
	}

	if _, err := rt.Invoke(testContext(t), postCall(route, "")); !picasso.IsCode(err, picasso.EUNAVAILABLE) {
		t.Errorf("Invoke after Close: got %v, want EUNAVAILABLE", err)
	}
}

func TestAsyncPayloadIsBounded(t *testing.T) {
	rt, _ := newRuntime(t, Options{MaxPayloadBytes: 10})
	invokeErr(t, testContext(t), rt, postCall(asyncRoute("/echo", "echo"), strings.Repeat("z", 11)), picasso.ETOOLARGE)
}

func TestAsyncRunsAreBoundedAndKilledOnClose(t *testing.T) {
	rt, _ := newRuntime(t, Options{MaxAsync: 1})
	key, value := marker(t)
	route := asyncRoute("/slow", "slow")
	route.Config = map[string]string{"SLEEP": "60", key: value}

	res, err := rt.Invoke(testContext(t), postCall(route, ""))
	mustDo(t, err)
	res.Body.Close()
	waitForProcesses(t, key+"="+value, 2)
	invokeErr(t, testContext(t), rt, postCall(route, ""), picasso.EUNAVAILABLE)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := rt.Close(ctx); err == nil {
		t.Error("Close returned nil although a run had to be killed")
	}
	waitGone(t, key+"="+value)
}
