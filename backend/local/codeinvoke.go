package local

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/picasso-faas/picasso"
)

// codeRequest is what a bootstrap receives per call (docs/packages.md).
// "context" must stay the last field: the bash bootstrap cuts the event
// out of the request text by it.
type codeRequest struct {
	Event   codeEvent   `json:"event"`
	Context codeContext `json:"context"`
}

type codeEvent struct {
	Method          string            `json:"method"`
	Path            string            `json:"path"`
	Query           map[string]string `json:"query"`
	RawQuery        string            `json:"rawQuery"`
	Headers         map[string]string `json:"headers"`
	Body            json.RawMessage   `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

type codeContext struct {
	CallID     string `json:"call_id"`
	RequestID  string `json:"request_id"`
	App        string `json:"app"`
	Route      string `json:"route"`
	DeadlineMS int64  `json:"deadline_ms"`
}

// credentialHeaders never reach code: runtime code is not told the
// caller's token, whatever forward_token says.
var credentialHeaders = []string{"X-Auth-Token", "X-Subject-Token", "X-Service-Token", "Authorization", "Cookie"}

// invokeCode runs the call in a warm worker of the route's code version.
func (rt *Runtime) invokeCode(ctx context.Context, call *picasso.Call, callID, requestID string, timeout time.Duration) (*picasso.CallResult, error) {
	lr, ok := rt.langs[call.Route.Runtime]
	if !ok {
		return nil, picasso.Errorf(picasso.EBADGATEWAY, "Runtime %q is not available on this gateway", call.Route.Runtime)
	}
	event, err := newCodeEvent(call)
	if err != nil {
		return nil, err
	}
	route := routeKey{app: call.App.BackendName, path: call.Route.Path}
	waitCtx, cancelWait := context.WithTimeout(ctx, timeout)
	release, err := rt.slots.acquire(waitCtx, route, call.Route.MaxConcurrency)
	cancelWait()
	if err != nil {
		return nil, picasso.Wrap(picasso.EUNAVAILABLE, err, "Function busy: max_concurrency reached, request id %s", requestID)
	}
	defer release()

	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	request, err := json.Marshal(codeRequest{Event: event, Context: codeContext{
		CallID: callID, RequestID: requestID, App: call.App.Name, Route: call.Route.Path, DeadlineMS: deadline.UnixMilli(),
	}})
	if err != nil {
		return nil, picasso.Wrap(picasso.EINVALID, err, "Request cannot be passed to the function")
	}
	w, err := rt.warmWorker(ctx, call, lr, route, deadline)
	if err != nil {
		return nil, err
	}
	rep, err := w.call(request, deadline, rt.maxOutput)
	log := w.takeLog()
	if log.Len() > 0 && call.Log != nil {
		call.Log.Write(log.Bytes())
	}
	if log.Len() > 0 {
		rt.log.Warn("function stderr", "request_id", requestID, "call_id", callID, "app", route.app, "route", route.path,
			"stderr", log.String(), "truncated", log.truncated)
	}
	if err != nil {
		oom := w.oomKilled()
		w.kill(rt)
		var perr *picasso.Error
		switch {
		case oom:
			return nil, picasso.Errorf(picasso.EBADGATEWAY, "Function ran out of memory: the limit is %d MiB, request id %s", call.Route.Memory, requestID)
		case errors.As(err, &perr):
			return nil, picasso.Wrap(perr.Code, err, "%s, request id %s", perr.Message, requestID)
		case ctx.Err() != nil:
			return nil, contextError(ctx.Err(), requestID)
		}
		return nil, picasso.Wrap(picasso.EBADGATEWAY, err, "Function failed: its worker exited, request id %s", requestID)
	}
	rt.returnWorker(route, w)
	return codeResult(call.Route, rep, requestID)
}

// warmWorker takes an idle worker of the call's exact code version or
// starts one, within the call's deadline.
func (rt *Runtime) warmWorker(ctx context.Context, call *picasso.Call, lr *langRuntime, route routeKey, deadline time.Time) (*worker, error) {
	key := workerKey(call)
	w, stale := rt.workers.take(route, key)
	for _, s := range stale {
		s.kill(rt)
	}
	if w != nil {
		return w, nil
	}
	dir, err := rt.code.packageOf(ctx, call.Route)
	if err != nil {
		return nil, err
	}
	interp := lr.interpreter
	argv := lr.argv(interp, lr.handlerOf(call.Route))
	w, err = rt.startWorker(key, dir, argv, rt.workerEnv(call), call.Route.Memory, deadline)
	if err != nil {
		return nil, picasso.Wrap(picasso.EBADGATEWAY, err, "Function could not be started, request id %s", call.RequestID)
	}
	return w, nil
}

// returnWorker keeps a worker warm, unless the runtime is closing, and
// kills the worker it displaces from a full pool.
func (rt *Runtime) returnWorker(route routeKey, w *worker) {
	rt.startReaper()
	if evicted := rt.workers.put(route, w, time.Now()); evicted != nil {
		evicted.kill(rt)
	}
}

// workerKey names what a worker was started for: one version of one
// route's code, with the settings in force then. Any change to the route
// or its app (config, memory, handler, a new upload) makes a new key, so
// a worker never serves anything but what it was started for.
func workerKey(call *picasso.Call) string {
	r, a := call.Route, call.App
	return strings.Join([]string{a.BackendName, r.Path, strconv.FormatInt(r.CreatedAt.UnixNano(), 10),
		strconv.FormatInt(r.CodeVersion, 10), r.Runtime, r.Handler,
		strconv.FormatInt(r.UpdatedAt.UnixNano(), 10), strconv.FormatInt(a.UpdatedAt.UnixNano(), 10)}, "\x00")
}

// workerEnv is a worker's environment: the app and route config and
// PATH. What is particular to a call travels in the request instead.
func (rt *Runtime) workerEnv(call *picasso.Call) []string {
	env := []string{"PATH=" + basePath, "HOME=/tmp", "LANG=C.UTF-8"}
	seen := map[string]bool{}
	for _, config := range []map[string]string{call.Route.Config, call.App.Config} { // the route wins
		for k, v := range config {
			name := envName(k)
			if reservedVar(name) || seen[name] || name == "HOME" || name == "LANG" || strings.ContainsAny(name, "=\x00") || strings.ContainsRune(v, 0) {
				continue
			}
			seen[name] = true
			env = append(env, name+"="+v)
		}
	}
	return env
}

// newCodeEvent builds the event of a call: the request with its body
// decoded when it is JSON, as text when it is UTF-8, else base64.
func newCodeEvent(call *picasso.Call) (codeEvent, error) {
	e := codeEvent{Method: call.Method, Path: call.Route.Path, RawQuery: call.RawQuery, Query: map[string]string{}, Headers: map[string]string{}}
	query, _ := url.ParseQuery(call.RawQuery) // keeps what parses
	for k, v := range query {
		e.Query[k] = strings.Join(v, ",")
	}
	for name, values := range call.Header {
		if !isCredentialHeader(name) {
			e.Headers[strings.ToLower(name)] = strings.Join(values, ",")
		}
	}
	var body []byte
	if call.Body != nil {
		var err error
		if body, err = io.ReadAll(call.Body); err != nil {
			return e, bodyError(err)
		}
	}
	mediaType, _, _ := mime.ParseMediaType(call.Header.Get("Content-Type"))
	isJSON := mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
	switch {
	case len(body) == 0:
		e.Body = json.RawMessage(`null`)
	case isJSON && json.Valid(body):
		e.Body = json.RawMessage(body)
	case isJSON:
		return e, picasso.Errorf(picasso.EINVALID, "Request body is not valid JSON, though its Content-Type says so")
	case utf8.Valid(body):
		e.Body, _ = json.Marshal(string(body))
	default:
		e.Body, _ = json.Marshal(base64.StdEncoding.EncodeToString(body))
		e.IsBase64Encoded = true
	}
	return e, nil
}

func isCredentialHeader(name string) bool {
	for _, h := range credentialHeaders {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return false
}

// httpResult is the return value form that sets the response itself.
type httpResult struct {
	StatusCode      *int              `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            json.RawMessage   `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// codeResult turns a bootstrap's reply into the response.
func codeResult(route *picasso.Route, rep *reply, requestID string) (*picasso.CallResult, error) {
	header := routeHeaders(route)
	respond := func(status int, contentType string, body []byte) (*picasso.CallResult, error) {
		if header.Get("Content-Type") == "" && contentType != "" {
			header.Set("Content-Type", contentType)
		}
		return &picasso.CallResult{Status: status, Header: header, Body: io.NopCloser(bytes.NewReader(body))}, nil
	}
	switch rep.kind {
	case "text":
		return respond(http.StatusOK, "text/plain; charset=utf-8", rep.body)
	case "error":
		var fault struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(rep.body, &fault); err != nil {
			return nil, picasso.Wrap(picasso.EBADGATEWAY, err, "Function failed, request id %s", requestID)
		}
		body, _ := json.Marshal(map[string]any{"error": map[string]string{
			"message": fmt.Sprintf("Function raised %s: %s", fault.Type, fault.Message),
			"type":    fault.Type, "request_id": requestID,
		}})
		header = http.Header{"Content-Type": {"application/json"}}
		return respond(http.StatusBadGateway, "", body)
	case "result":
	default:
		return nil, picasso.Errorf(picasso.EBADGATEWAY, "Function worker answered %q, request id %s", rep.kind, requestID)
	}
	var text string
	if json.Unmarshal(rep.body, &text) == nil {
		return respond(http.StatusOK, "text/plain; charset=utf-8", []byte(text))
	}
	var h httpResult
	if bytes.HasPrefix(bytes.TrimSpace(rep.body), []byte("{")) && json.Unmarshal(rep.body, &h) == nil && h.StatusCode != nil {
		return httpForm(header, h, respond, requestID)
	}
	return respond(http.StatusOK, "application/json", rep.body)
}

func httpForm(header http.Header, h httpResult, respond func(int, string, []byte) (*picasso.CallResult, error), requestID string) (*picasso.CallResult, error) {
	if *h.StatusCode < 100 || *h.StatusCode > 599 {
		return nil, picasso.Errorf(picasso.EBADGATEWAY, "Function returned an invalid statusCode %d, request id %s", *h.StatusCode, requestID)
	}
	for name, value := range h.Headers {
		if strings.ContainsAny(name, " \t\r\n:\x00") || strings.ContainsAny(value, "\r\n\x00") {
			return nil, picasso.Errorf(picasso.EBADGATEWAY, "Function returned an invalid header %q, request id %s", name, requestID)
		}
		header.Set(name, value)
	}
	var text string
	switch {
	case len(h.Body) == 0 || string(h.Body) == "null":
		return respond(*h.StatusCode, "", nil)
	case json.Unmarshal(h.Body, &text) == nil:
		if !h.IsBase64Encoded {
			return respond(*h.StatusCode, "text/plain; charset=utf-8", []byte(text))
		}
		raw, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return nil, picasso.Wrap(picasso.EBADGATEWAY, err, "Function returned a body that is not base64, request id %s", requestID)
		}
		return respond(*h.StatusCode, "application/octet-stream", raw)
	}
	return respond(*h.StatusCode, "application/json", h.Body)
}
