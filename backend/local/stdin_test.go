package local

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

// stalledBody is a request body whose client never sends anything.
func stalledBody(t *testing.T) io.Reader {
	r, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	return r
}

func TestStalledBodyDoesNotHoldAFunctionThatIgnoresStdin(t *testing.T) {
	rt, _ := newRuntime(t, Options{})
	route := newRoute("/slow", "slow")
	route.Config = map[string]string{"SLEEP": "0"}
	call := postCall(route, "")
	call.Body = stalledBody(t)
	if got := invokeOK(t, rt, call); got != "done\n" {
		t.Errorf("got %q", got)
	}
}

func TestStalledBodyTimesOut(t *testing.T) {
	rt, _ := newRuntime(t, Options{})
	route := newRoute("/hello", "hello")
	route.Timeout = 1
	call := postCall(route, "")
	call.Body = stalledBody(t)
	start := time.Now()
	invokeErr(t, testContext(t), rt, call, picasso.ETIMEOUT)
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("timeout took %v", elapsed)
	}
}

func TestBodyOverTheGatewayLimitIsTooLarge(t *testing.T) {
	rt, _ := newRuntime(t, Options{})
	for _, typ := range []string{picasso.RouteSync, picasso.RouteAsync} {
		route := newRoute("/hello", "hello")
		route.Type = typ
		call := postCall(route, "")
		call.Body = http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader(strings.Repeat("b", 1000))), 100)
		invokeErr(t, testContext(t), rt, call, picasso.ETOOLARGE)
	}
}
