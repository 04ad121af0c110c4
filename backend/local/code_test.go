package local

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/internal/testenv"
)

// zipOf builds a zip archive of the files.
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// deploy prepares data as version of a code route and returns the route.
func deploy(t *testing.T, rt *Runtime, route *picasso.Route, version int64, format, fileName string, data []byte) {
	t.Helper()
	sum := sha256.Sum256(data)
	v := &picasso.CodeVersion{AppID: "app1", Path: route.Path, Version: version, SHA256: hex.EncodeToString(sum[:]),
		Size: int64(len(data)), Format: format, FileName: fileName, CreatedAt: time.Now()}
	if err := rt.PrepareCode(testContext(t), v, data); err != nil {
		t.Fatal(err)
	}
	rt.RememberCodeVersion(route, v)
	route.CodeVersion = version
	route.UpdatedAt = time.Now()
}

func codeRoute(path, runtime, handler string) *picasso.Route {
	r := &picasso.Route{AppID: "app1", Path: path, Runtime: runtime, Handler: handler, CreatedAt: time.Now()}
	r.ApplyDefaults()
	return r
}

// invokeCodeCall runs the call and returns status, content type and body.
func invokeCodeCall(t *testing.T, rt *Runtime, call *picasso.Call) (int, string, string) {
	t.Helper()
	res, err := rt.Invoke(testContext(t), call)
	if err != nil {
		t.Fatalf("Invoke(%s): %v", call.Route.Path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.Status, res.Header.Get("Content-Type"), string(body)
}

const pythonHandlers = `
import os, sys
TOKEN = os.urandom(8).hex()
calls = 0

def handler(event, context):
    global calls
    calls += 1
    print("log line", calls)
    if event["body"] == "boom":
        raise ValueError("it went boom")
    if event["body"] == "http":
        return {"statusCode": 201, "headers": {"X-Kind": "http"}, "body": "created"}
    if isinstance(event["body"], str):
        return event["body"].upper()
    return {"token": TOKEN, "calls": calls, "got": event["body"], "method": event["method"],
            "query": event["query"], "auth": event["headers"].get("x-auth-token"),
            "route": context.route, "remaining": context.get_remaining_time_in_millis() > 0}
`

func TestPythonHandlerFromZip(t *testing.T) {
	rt, _ := newRuntime(t, Options{FunctionsDir: t.TempDir(), CodeCacheDir: t.TempDir()})
	defer rt.Close(testContext(t))
	route := codeRoute("/py", "python3", "main.handler")
	deploy(t, rt, route, 1, picasso.CodeZip, "", zipOf(t, map[string]string{"main.py": pythonHandlers}))

	jsonCall := func() map[string]any {
		call := postCall(route, `{"n": 1}`)
		call.Header.Set("Content-Type", "application/json")
		call.Header.Set("X-Auth-Token", "secret-token")
		call.RawQuery = "a=1"
		var log bytes.Buffer
		call.Log = &log
		status, ctype, body := invokeCodeCall(t, rt, call)
		if status != 200 || ctype != "application/json" {
			t.Fatalf("status %d, type %q, body %s", status, ctype, body)
		}
		if !strings.Contains(log.String(), "log line") {
			t.Errorf("call log %q lacks the handler's print", log.String())
		}
		var out map[string]any
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := jsonCall()
	if first["got"].(map[string]any)["n"] != 1.0 || first["method"] != "POST" || first["query"].(map[string]any)["a"] != "1" ||
		first["route"] != "/py" || first["remaining"] != true {
		t.Errorf("event as the handler saw it: %v", first)
	}
	if first["auth"] != nil {
		t.Errorf("the handler saw the caller's token: %v", first["auth"])
	}
	second := jsonCall()
	if second["token"] != first["token"] || second["calls"] != 2.0 {
		t.Errorf("second call ran in another worker: %v then %v", first, second)
	}

	if status, ctype, body := invokeCodeCall(t, rt, postCall(route, "hello")); status != 200 || body != "HELLO" || !strings.HasPrefix(ctype, "text/plain") {
		t.Errorf("text event: %d %q %q", status, ctype, body)
	}
	call := postCall(route, "http")
	res, err := rt.Invoke(testContext(t), call)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	if res.Status != 201 || res.Header.Get("X-Kind") != "http" || string(body) != "created" {
		t.Errorf("statusCode form: %d %v %q", res.Status, res.Header, body)
	}

	var log bytes.Buffer
	call = postCall(route, "boom")
	call.Log = &log
	status, _, body2 := invokeCodeCall(t, rt, call)
	var fault struct {
		Error struct{ Message, Type string }
	}
	if err := json.Unmarshal([]byte(body2), &fault); err != nil || status != 502 || fault.Error.Type != "ValueError" ||
		!strings.Contains(fault.Error.Message, "it went boom") || strings.Contains(body2, "Traceback") {
		t.Errorf("exception: %d %s", status, body2)
	}
	if !strings.Contains(log.String(), "Traceback") {
		t.Errorf("the traceback is not in the call's log: %q", log.String())
	}
	// An exception does not cost the worker.
	if third := jsonCall(); third["token"] != first["token"] {
		t.Errorf("the worker was replaced after an exception")
	}
}

func TestNewCodeVersionRunsInNewWorker(t *testing.T) {
	rt, _ := newRuntime(t, Options{FunctionsDir: t.TempDir(), CodeCacheDir: t.TempDir()})
	defer rt.Close(testContext(t))
	route := codeRoute("/v", "python3", "")
	src := "import os\nT = os.urandom(8).hex()\ndef handler(e, c):\n    return VERSION + ':' + T\n"
	deploy(t, rt, route, 1, picasso.CodeFile, "main.py", []byte("VERSION = 'one'\n"+src))
	_, _, one := invokeCodeCall(t, rt, postCall(route, ""))
	deploy(t, rt, route, 2, picasso.CodeFile, "main.py", []byte("VERSION = 'two'\n"+src))
	_, _, two := invokeCodeCall(t, rt, postCall(route, ""))
	if !strings.HasPrefix(one, "one:") || !strings.HasPrefix(two, "two:") || one[4:] == two[4:] {
		t.Errorf("versions answered %q then %q", one, two)
	}
}

func TestCodeWorkersUpToMaxConcurrency(t *testing.T) {
	rt, _ := newRuntime(t, Options{FunctionsDir: t.TempDir(), CodeCacheDir: t.TempDir()})
	defer rt.Close(testContext(t))
	route := codeRoute("/c", "python3", "")
	route.MaxConcurrency = 3
	// Nine calls at once: three take the route's slots and, finding no
	// idle worker, start one each; the other six wait and reuse them.
	deploy(t, rt, route, 1, picasso.CodeFile, "main.py", []byte(
		"import os, time\nT = os.urandom(8).hex()\ndef handler(e, c):\n    time.sleep(0.3)\n    return T\n"))
	var wg sync.WaitGroup
	tokens := make(chan string, 9)
	for range 9 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, body := invokeCodeCall(t, rt, postCall(route, ""))
			tokens <- body
		}()
	}
	wg.Wait()
	close(tokens)
	seen := map[string]bool{}
	for tok := range tokens {
		seen[tok] = true
	}
	if len(seen) != 3 {
		t.Errorf("%d workers served the calls, want max_concurrency = 3", len(seen))
	}
	rt.workers.mu.Lock()
	idle := len(rt.workers.idle[routeKey{app: testApp.BackendName, path: "/c"}])
	rt.workers.mu.Unlock()
	if idle > 3 {
		t.Errorf("%d idle workers, want at most 3", idle)
	}
}

func TestNodeHandler(t *testing.T) {
	rt, _ := newRuntime(t, Options{FunctionsDir: t.TempDir(), CodeCacheDir: t.TempDir()})
	defer rt.Close(testContext(t))
	if _, ok := rt.langs["nodejs"]; !ok {
		testenv.Unavailable(t, "Node.js (scripts/runtimes.sh installs it)")
	}
	route := codeRoute("/js", "nodejs", "index.handler")
	deploy(t, rt, route, 1, picasso.CodeZip, "", zipOf(t, map[string]string{"index.js": `
const token = Math.random().toString(36);
let calls = 0;
exports.handler = async (event, context) => {
  calls++;
  console.log('node log', calls);
  if (event.body === 'boom') throw new RangeError('out of range');
  return { statusCode: 200, headers: { 'Content-Type': 'application/json' },
           body: JSON.stringify({ token, calls, got: event.body, route: context.route }) };
};`}))
	call := func(body string) (int, string) {
		c := postCall(route, body)
		c.Header.Set("Content-Type", "application/json")
		status, _, out := invokeCodeCall(t, rt, c)
		return status, out
	}
	var first, second struct {
		Token string
		Calls int
		Got   map[string]int
		Route string
	}
	status, out := call(`{"x": 7}`)
	if status != 200 || json.Unmarshal([]byte(out), &first) != nil || first.Got["x"] != 7 || first.Route != "/js" {
		t.Fatalf("first call: %d %s", status, out)
	}
	_, out = call(`{"x": 8}`)
	if json.Unmarshal([]byte(out), &second) != nil || second.Token != first.Token || second.Calls != 2 {
		t.Errorf("second call did not reuse the worker: %s", out)
	}
	status, out = call(`"boom"`)
	if status != 502 || !strings.Contains(out, "RangeError") || !strings.Contains(out, "out of range") {
		t.Errorf("exception: %d %s", status, out)
	}
}

func TestBashScript(t *testing.T) {
	rt, _ := newRuntime(t, Options{FunctionsDir: t.TempDir(), CodeCacheDir: t.TempDir()})
	defer rt.Close(testContext(t))
	route := codeRoute("/sh", "bash", "bin/run.sh")
	deploy(t, rt, route, 1, picasso.CodeZip, "", zipOf(t, map[string]string{
		"bin/run.sh": "read -r event\ncase $event in *'\"body\":\"fail\"'*) exit 3;; esac\necho \"$event\" | grep -o '\"body\":\"[a-z]*\"'\necho done >&2\n",
	}))
	status, ctype, body := invokeCodeCall(t, rt, postCall(route, "hi"))
	if status != 200 || body != "\"body\":\"hi\"\n" || !strings.HasPrefix(ctype, "text/plain") {
		t.Errorf("bash: %d %q %q", status, ctype, body)
	}
	status, _, body = invokeCodeCall(t, rt, postCall(route, "fail"))
	if status != 502 || !strings.Contains(body, "status 3") {
		t.Errorf("failing script: %d %s", status, body)
	}
	if status, _, body = invokeCodeCall(t, rt, postCall(route, "again")); status != 200 || body != "\"body\":\"again\"\n" {
		t.Errorf("after a failure: %d %q", status, body)
	}
}

func TestCrashedWorkerIsReplaced(t *testing.T) {
	rt, _ := newRuntime(t, Options{FunctionsDir: t.TempDir(), CodeCacheDir: t.TempDir()})
	defer rt.Close(testContext(t))
	route := codeRoute("/crash", "python3", "")
	route.Timeout = 2
	deploy(t, rt, route, 1, picasso.CodeFile, "main.py", []byte(
		"import os, time\nT = os.urandom(8).hex()\ndef handler(e, c):\n    if e['body'] == 'exit':\n        os._exit(1)\n"+
			"    if e['body'] == 'hang':\n        time.sleep(60)\n    return T\n"))
	_, _, before := invokeCodeCall(t, rt, postCall(route, ""))
	invokeErr(t, testContext(t), rt, postCall(route, "exit"), picasso.EBADGATEWAY)
	_, _, after := invokeCodeCall(t, rt, postCall(route, ""))
	if after == before || len(after) != 16 {
		t.Errorf("after a crash the call ran in %q, before in %q", after, before)
	}
	invokeErr(t, testContext(t), rt, postCall(route, "hang"), picasso.ETIMEOUT)
	if _, _, next := invokeCodeCall(t, rt, postCall(route, "")); next == after {
		t.Errorf("after a timeout the old worker served again")
	}
}

func TestIdleWorkersAreBoundedAcrossRoutes(t *testing.T) {
	rt, _ := newRuntime(t, Options{FunctionsDir: t.TempDir(), CodeCacheDir: t.TempDir(), MaxIdleWorkers: 2})
	defer rt.Close(testContext(t))
	src := []byte("import os\nT = os.urandom(8).hex()\ndef handler(e, c):\n    return T\n")
	marker := func(i int) string { return fmt.Sprintf("IDLE_MARKER=%d-%d", time.Now().UnixNano(), i) }
	var routes []*picasso.Route
	var markers []string
	for i := range 3 {
		route := codeRoute(fmt.Sprintf("/idle%d", i), "python3", "")
		markers = append(markers, marker(i))
		name, value, _ := strings.Cut(markers[i], "=")
		route.Config = map[string]string{name: value}
		deploy(t, rt, route, 1, picasso.CodeFile, "main.py", src)
		routes = append(routes, route)
	}
	var tokens []string
	for _, route := range routes {
		_, _, token := invokeCodeCall(t, rt, postCall(route, ""))
		tokens = append(tokens, token)
	}
	// Three routes called once each with room for two idle workers: the
	// first route's, unused the longest, was stopped when the third
	// returned; the other two stay warm.
	waitGone(t, markers[0])
	for i := 1; i < 3; i++ {
		waitForProcesses(t, markers[i], 1)
		if _, _, again := invokeCodeCall(t, rt, postCall(routes[i], "")); again != tokens[i] {
			t.Errorf("route %d: a warm worker was replaced (%q, then %q)", i, tokens[i], again)
		}
	}
	if _, _, again := invokeCodeCall(t, rt, postCall(routes[0], "")); again == tokens[0] || len(again) != 16 {
		t.Errorf("route 0 answered %q after its worker was evicted, first %q", again, tokens[0])
	}
}
