package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

// recordScript writes its call id and stdin to the file named by OUT.
const recordScript = `{ echo "$CALL_ID"; cat; } > "$OUT.tmp" && mv "$OUT.tmp" "$OUT"`

func asyncRoute(path, image string) *picasso.Route {
	r := newRoute(path, image)
	r.Type = picasso.RouteAsync
	return r
}

func TestAsyncAnswers202AndRunsInTheBackground(t *testing.T) {
	rt, logs := newRuntime(t, Options{FunctionsDir: functionsDir(t, map[string]string{"record": recordScript})})
	out := filepath.Join(t.TempDir(), "out")
	route := asyncRoute("/record", "record")
	route.Config = map[string]string{"OUT": out}

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
	got, err := os.ReadFile(out)
	mustDo(t, err)
	if want := res.CallID + "\nasync payload"; string(got) != want {
		t.Errorf("the function recorded %q, want %q", got, want)
	}
	if log := logs.String(); !strings.Contains(log, res.CallID) || !strings.Contains(log, "async call finished") {
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
