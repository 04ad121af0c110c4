package gateway_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/gateway"
)

// publicAndPrivate creates app "fns" in project A with a public and a
// private route and returns the app's backend name.
func publicAndPrivate(h *harness) string {
	app := h.createApp(projA, "member-a", "fns")
	h.createRoute(projA, "member-a", "fns", map[string]any{"path": "/pub", "image": "iron/echo", "is_public": true})
	h.createRoute(projA, "member-a", "fns", map[string]any{"path": "/priv/x", "image": "iron/echo", "headers": map[string][]string{"X-Route": {"r1"}}})
	return app.BackendName
}

func TestPrivateCallIsAFaithfulProxy(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	publicAndPrivate(h)
	for _, method := range []string{"GET", "POST", "PUT", "DELETE", "PATCH"} {
		t.Run(method, func(t *testing.T) {
			before := len(h.fake.Calls())
			resp := h.do(t, method, "/r/"+projA+"/fns/priv/x?a=1&b=two", "member-a", "payload-"+method,
				"X-Custom", "c1", "X-Project-Id", "forged", "X-Roles", "admin", "Connection", "X-Drop", "X-Drop", "hop")
			resp.expect(t, 200)
			if resp.Header.Get("X-Route") != "r1" {
				t.Errorf("route header did not come back: %v", resp.Header)
			}
			calls := h.fake.Calls()
			if len(calls) != before+1 {
				t.Fatalf("%d calls reached the backend, want 1", len(calls)-before)
			}
			call := calls[len(calls)-1]
			if call.Method != method || call.Query != "a=1&b=two" || string(call.Body) != "payload-"+method {
				t.Errorf("backend saw %s ?%s %q", call.Method, call.Query, call.Body)
			}
			hdr := call.Header
			switch {
			case hdr.Get("X-Custom") != "c1":
				t.Errorf("X-Custom lost: %v", hdr)
			case hdr.Get("X-Auth-Token") != "":
				t.Errorf("the caller's token reached the function")
			case hdr.Get("X-Project-Id") != projA || hdr.Get("X-User-Id") != "user-a" || hdr.Get("X-Roles") != "member,reader":
				t.Errorf("identity headers = %q %q %q", hdr.Get("X-Project-Id"), hdr.Get("X-User-Id"), hdr.Get("X-Roles"))
			case hdr.Get("X-Drop") != "":
				t.Errorf("a header named in Connection was forwarded")
			case !gateway.ValidRequestID(hdr.Get("X-Openstack-Request-Id")):
				t.Errorf("request id not passed on: %q", hdr.Get("X-Openstack-Request-Id"))
			}
		})
	}
}

func TestPublicCalls(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	backendName := publicAndPrivate(h)

	resp := h.do(t, "POST", "/r/"+backendName+"/pub", "", `{"alarm":"x"}`, "Content-Type", "application/json")
	resp.expect(t, 200)
	if !bytes.Contains(resp.Body, []byte(`alarm`)) {
		t.Errorf("payload did not reach the function: %s", resp.Body)
	}
	// A token sent to a public URL is ignored and never forwarded.
	h.do(t, "POST", "/r/"+backendName+"/pub", "member-b", "x").expect(t, 200)
	if got := h.fake.Calls()[1].Header.Get("X-Auth-Token"); got != "" {
		t.Errorf("token forwarded on a public call")
	}

	calls := len(h.fake.Calls())
	unknown := h.do(t, "POST", "/r/"+backendName+"/nothing", "", "x").expect(t, 404)
	private := h.do(t, "POST", "/r/"+backendName+"/priv/x", "", "x").expect(t, 404)
	otherApp := h.do(t, "POST", "/r/"+picasso.BackendName(projB, "fns")+"/pub", "", "x").expect(t, 404)
	for _, r := range []*response{private, otherApp} {
		if r.ErrorMessage(t) != unknown.ErrorMessage(t) || r.Header.Get("Content-Type") != unknown.Header.Get("Content-Type") {
			t.Errorf("a private or foreign route answers differently from an unknown one: %s vs %s", r.Body, unknown.Body)
		}
	}
	if len(h.fake.Calls()) != calls {
		t.Error("a refused call reached the backend")
	}
}

func TestURLFormsAreNeverAmbiguous(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	backendName := publicAndPrivate(h)
	cases := []struct {
		path   string
		token  string
		status int
	}{
		{"/r/" + backendName + "/pub", "", 200},                  // public form
		{"/r/" + projA + "/fns/pub", "member-a", 200},            // private form, public route
		{"/r/" + projA + "/fns/pub", "", 401},                    // private form needs a token
		{"/r/" + projA + "/fns", "member-a", 404},                // no route segment
		{"/r/" + strings.ToUpper(backendName) + "/pub", "", 404}, // backend names are lower case
		{"/r/fns/pub", "", 404},                                  // a user's app name is not a public name
		{"/r/" + backendName + "/pub/", "", 404},                 // trailing slash is another path
		{"/r/" + backendName + "//pub", "", 404},
		{"/r/" + backendName + "/../pub", "", 404},
		{"/r/" + backendName, "", 404},
		{"/r/" + projB + "/fns/pub", "member-a", 403}, // A's token on B's URL
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			h.do(t, "POST", c.path, c.token, "x").expect(t, c.status)
		})
	}
}

func TestPrivateCallAuthorization(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	publicAndPrivate(h)
	calls := len(h.fake.Calls())
	h.do(t, "POST", "/r/"+projA+"/fns/priv/x", "", "x").expect(t, 401)
	h.do(t, "POST", "/r/"+projA+"/fns/priv/x", "bogus", "x").expect(t, 401)
	h.do(t, "POST", "/r/"+projA+"/fns/priv/x", "reader-a", "x").expect(t, 403)
	h.do(t, "POST", "/r/"+projA+"/fns/priv/x", "member-b", "x").expect(t, 403)
	h.do(t, "POST", "/r/"+projA+"/fns/priv/x", "unscoped", "x").expect(t, 403)
	// B's token with B's project id in the URL does not find A's app.
	h.do(t, "POST", "/r/"+projB+"/fns/priv/x", "member-b", "x").expect(t, 404)
	h.do(t, "POST", "/r/"+projB+"/fns/pub", "member-b", "x").expect(t, 404)
	if len(h.fake.Calls()) != calls {
		t.Fatal("an unauthorized call reached the backend")
	}
	h.do(t, "POST", "/r/"+projA+"/fns/priv/x", "admin", "x").expect(t, 200)
}

func TestOldClientEnvelope(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	publicAndPrivate(h)
	h.createRoute(projA, "member-a", "fns", map[string]any{"path": "/later", "image": "iron/echo", "type": "async"})

	sync := h.do(t, "POST", "/v1/r/"+projA+"/fns/priv/x", "member-a", `{"k":"v"}`, "Content-Type", "application/json").expect(t, 200).JSON(t)
	result, ok := sync["result"].(string)
	if !ok || !strings.Contains(result, `{\"k\":\"v\"}`) && !strings.Contains(result, `{"k":"v"}`) {
		t.Errorf("result = %v", sync)
	}
	if _, ok := sync["message"].(string); !ok {
		t.Errorf("no message: %v", sync)
	}
	async := h.do(t, "POST", "/v1/r/"+projA+"/fns/later", "member-a", `{}`, "Content-Type", "application/json").expect(t, 202).JSON(t)
	if id, _ := async["call_id"].(string); id == "" {
		t.Errorf("no call_id: %v", async)
	}
}

func TestAsyncCallReturnsCallID(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	app := h.createApp(projA, "member-a", "a")
	h.createRoute(projA, "member-a", "a", map[string]any{"path": "/bg", "image": "iron/echo", "type": "async", "is_public": true})
	resp := h.do(t, "POST", "/r/"+app.BackendName+"/bg", "", "x").expect(t, 202)
	id := resp.decode(t).CallID
	if want := "/v1/" + projA + "/calls/" + id; id == "" || resp.Header.Get("Location") != want {
		t.Fatalf("call id %q, Location %q", id, resp.Header.Get("Location"))
	}
	calls := h.waitForCalls(1)
	if len(calls) != 1 || calls[0].Async || calls[0].Header.Get("X-Picasso-Call-Id") != id ||
		calls[0].Header.Get("X-Picasso-Call-Attempt") != "1" || string(calls[0].Body) != "x" {
		t.Errorf("backend calls %+v", calls)
	}
}

func TestCallFailures(t *testing.T) {
	h := newHarness(t, sqliteURI(t), func(c *gateway.Config, _ *gateway.Deps) { c.MaxBodyBytes = 1 << 20 })
	app := h.createApp(projA, "member-a", "f")
	public := "/r/" + app.BackendName
	h.createRoute(projA, "member-a", "f", map[string]any{"path": "/slow", "image": "sleep", "timeout": 1, "is_public": true})
	h.createRoute(projA, "member-a", "f", map[string]any{"path": "/fail", "image": "fail", "is_public": true})
	h.createRoute(projA, "member-a", "f", map[string]any{"path": "/ok", "image": "iron/echo", "is_public": true})

	h.do(t, "POST", public+"/fail", "", "x").expect(t, 502)
	// post, because the server answers before reading the body: a client
	// still writing may see the reset instead of the answer.
	post(t, h, "POST", public+"/ok", "", strings.NewReader(strings.Repeat("x", 1<<20+1)), 1<<20+1).expect(t, 413)

	h.fake.SetHang(true)
	start := time.Now()
	resp := h.do(t, "POST", public+"/slow", "", "x").expect(t, 504)
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("504 after %s; the bound is the timeout (1s) plus the margin", elapsed)
	}
	if e := resp.decode(t).Error; e == nil || !gateway.ValidRequestID(e.RequestID) {
		t.Errorf("error without request id: %s", resp.Body)
	}
	h.fake.SetHang(false)

	h.fake.SetDown(true)
	h.do(t, "POST", public+"/ok", "", "x").expect(t, 502)
	h.fake.SetDown(false)
	h.do(t, "POST", public+"/ok", "", "x").expect(t, 200)
}

// streamingBackend reads a call's body in chunks and reports how much it
// has read, to prove the gateway forwards bodies as they arrive.
type streamingBackend struct {
	picasso.Backend
	read atomic.Int64
}

func (b *streamingBackend) Invoke(ctx context.Context, call *picasso.Call) (*picasso.CallResult, error) {
	buf := make([]byte, 64<<10)
	for {
		n, err := call.Body.Read(buf)
		b.read.Add(int64(n))
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, picasso.Wrap(picasso.EBADGATEWAY, err, "read")
		}
	}
	return &picasso.CallResult{Status: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("done"))}, nil
}

func TestBodiesStream(t *testing.T) {
	stream := &streamingBackend{}
	h := newHarness(t, sqliteURI(t), func(_ *gateway.Config, d *gateway.Deps) {
		stream.Backend = d.Backend
		d.Backend = stream
	})
	app := h.createApp(projA, "member-a", "s")
	h.createRoute(projA, "member-a", "s", map[string]any{"path": "/in", "image": "iron/echo", "is_public": true})

	const chunk, total = 1 << 20, 10 << 20
	pr, pw := io.Pipe()
	go func() {
		defer pw.Close()
		block := bytes.Repeat([]byte("z"), chunk)
		pw.Write(block)
		// The rest is sent only once the backend has seen the first MiB:
		// a gateway that buffered whole bodies would wait here forever.
		deadline := time.Now().Add(10 * time.Second)
		for stream.read.Load() < chunk {
			if time.Now().After(deadline) {
				pw.CloseWithError(io.ErrUnexpectedEOF)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		for sent := chunk; sent < total; sent += chunk {
			pw.Write(block)
		}
	}()
	resp, err := http.Post(h.url+"/r/"+app.BackendName+"/in", "application/octet-stream", pr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || stream.read.Load() != total {
		t.Fatalf("status %d, backend read %d bytes of %d", resp.StatusCode, stream.read.Load(), total)
	}
}

// blockingBackend holds every call until released, to fill the gateway.
type blockingBackend struct {
	picasso.Backend
	started chan struct{}
	release chan struct{}
}

func (b *blockingBackend) Invoke(ctx context.Context, call *picasso.Call) (*picasso.CallResult, error) {
	io.Copy(io.Discard, call.Body) // as a real backend does; then the server notices a client leaving
	b.started <- struct{}{}
	<-b.release
	return &picasso.CallResult{Status: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("ok"))}, nil
}

func TestOverloadIsShedWith503(t *testing.T) {
	block := &blockingBackend{started: make(chan struct{}, 1), release: make(chan struct{})}
	h := newHarness(t, sqliteURI(t), func(c *gateway.Config, d *gateway.Deps) {
		c.MaxInFlightCalls = 1
		block.Backend = d.Backend
		d.Backend = block
	})
	app := h.createApp(projA, "member-a", "o")
	h.createRoute(projA, "member-a", "o", map[string]any{"path": "/x", "image": "iron/echo", "is_public": true})
	url := "/r/" + app.BackendName + "/x"
	done := make(chan int)
	go func() {
		resp, err := http.Post(h.url+url, "text/plain", strings.NewReader("1"))
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	<-block.started
	shed := h.do(t, "POST", url, "", "2").expect(t, 503)
	if shed.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	close(block.release)
	if status := <-done; status != 200 {
		t.Errorf("the admitted call got %d", status)
	}
}

func TestUnauthenticatedAnswersCarryTheKeystoneChallenge(t *testing.T) {
	const endpoint = "http://keystone.example:5000/v3"
	h := newHarness(t, sqliteURI(t), func(c *gateway.Config, _ *gateway.Deps) { c.KeystoneEndpoint = endpoint })
	publicAndPrivate(h)
	for _, path := range []string{"/v1/" + projA + "/apps", "/r/" + projA + "/fns/priv/x"} {
		resp := h.do(t, "GET", path, "", nil).expect(t, 401)
		if got := resp.Header.Get("WWW-Authenticate"); got != `Keystone uri="`+endpoint+`"` {
			t.Errorf("%s: WWW-Authenticate = %q", path, got)
		}
	}
	if got := h.do(t, "GET", "/v1/"+projA+"/apps", "member-b", nil).expect(t, 403).Header.Get("WWW-Authenticate"); got != "" {
		t.Errorf("403 carries a challenge: %q", got)
	}
}

func TestClientDisconnectCancelsTheCall(t *testing.T) {
	block := &blockingBackend{started: make(chan struct{}, 1), release: make(chan struct{})}
	cancelled := make(chan struct{})
	h := newHarness(t, sqliteURI(t), func(_ *gateway.Config, d *gateway.Deps) {
		block.Backend = d.Backend
		d.Backend = &cancelObserver{Backend: block, cancelled: cancelled}
	})
	defer close(block.release)
	app := h.createApp(projA, "member-a", "c")
	h.createRoute(projA, "member-a", "c", map[string]any{"path": "/x", "image": "iron/echo", "is_public": true, "timeout": 60})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", h.url+"/r/"+app.BackendName+"/x", strings.NewReader("x"))
	go func() {
		<-block.started
		cancel()
	}()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the backend call was not cancelled when the client went away")
	}
}

// cancelObserver reports when the context of a call ends before the
// backend answered.
type cancelObserver struct {
	picasso.Backend
	cancelled chan struct{}
}

func (c *cancelObserver) Invoke(ctx context.Context, call *picasso.Call) (*picasso.CallResult, error) {
	go func() {
		<-ctx.Done()
		close(c.cancelled)
	}()
	return c.Backend.Invoke(ctx, call)
}

func TestRoutesMayOptInToTheCallersToken(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	app := h.createApp(projA, "member-a", "tok")
	route := h.createRoute(projA, "member-a", "tok", map[string]any{"path": "/nova", "image": "iron/echo", "is_public": true, "forward_token": true})
	if route.ForwardToken != true {
		t.Fatalf("route view = %v", route)
	}
	h.do(t, "POST", "/r/"+projA+"/tok/nova", "member-a", "x").expect(t, 200)
	h.do(t, "POST", "/r/"+app.BackendName+"/nova", "member-b", "x").expect(t, 200)
	calls := h.fake.Calls()
	if got := calls[0].Header.Get("X-Auth-Token"); got != "member-a" {
		t.Errorf("private call forwarded token %q, want the caller's", got)
	}
	if got := calls[1].Header.Get("X-Auth-Token"); got != "" {
		t.Errorf("a public call forwarded an unverified token %q", got)
	}
	off := h.do(t, "PUT", "/v1/"+projA+"/apps/tok/routes/nova", "member-a", map[string]any{"forward_token": false}).expect(t, 200).decode(t).route(t)
	if off.ForwardToken {
		t.Fatalf("update = %+v", off)
	}
	h.do(t, "POST", "/r/"+projA+"/tok/nova", "member-a", "x").expect(t, 200)
	if got := h.fake.Calls()[2].Header.Get("X-Auth-Token"); got != "" {
		t.Errorf("token forwarded after opting out: %q", got)
	}
}
