package fntest

import (
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Invocation is one function call the fake ran (or accepted detached).
type Invocation struct {
	CallID   string
	AppName  string
	FnID     string
	Image    string
	Detached bool
	// Method, URL, Header and Body are the request as the function saw it:
	// through a trigger, caller headers arrive as Fn-Http-H-*.
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// hopByHop are the headers Fn strips before a request reaches a function.
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// invokeTrigger serves ANY /t/{app}{source}.
func (s *Server) invokeTrigger(w http.ResponseWriter, r *http.Request, rest string) {
	appName, source, _ := strings.Cut(rest, "/")
	source = "/" + source

	s.mu.Lock()
	a := s.appByName(appName)
	var t *trigger
	var f *fn
	if a != nil {
		for _, cand := range s.triggers {
			if cand.AppID == a.ID && cand.Type == "http" && cand.Source == source {
				t, f = cand, s.fns[cand.FnID]
			}
		}
	}
	s.mu.Unlock()
	switch {
	case a == nil:
		writeError(w, http.StatusNotFound, "App not found")
		return
	case t == nil:
		writeError(w, http.StatusNotFound, "Trigger not found")
		return
	}

	header := http.Header{}
	for k, v := range r.Header {
		if k == "Content-Type" {
			header[k] = v
		} else {
			header["Fn-Http-H-"+k] = v
		}
	}
	for _, h := range hopByHop {
		header.Del("Fn-Http-H-" + h)
	}
	header.Set("Fn-Http-Method", r.Method)
	header.Set("Fn-Http-Request-Url", "http://"+r.Host+r.URL.RequestURI())
	header.Set("Fn-Intent", "httprequest")
	s.call(w, r, a, f, header, true)
}

// invokeFn serves POST /invoke/{fn_id}: the request reaches the function
// as it came, and the function's response goes back as it is.
func (s *Server) invokeFn(w http.ResponseWriter, r *http.Request, fnID string) {
	s.mu.Lock()
	f := s.fns[fnID]
	var a *app
	if f != nil {
		a = s.apps[f.AppID]
	}
	s.mu.Unlock()
	if f == nil {
		writeError(w, http.StatusNotFound, "Fn not found")
		return
	}
	header := r.Header.Clone()
	for _, h := range hopByHop {
		header.Del(h)
	}
	s.call(w, r, a, f, header, false)
}

// call runs f for one request whose function-side headers are prepared.
func (s *Server) call(w http.ResponseWriter, r *http.Request, a *app, f *fn, header http.Header, viaTrigger bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // the caller went away
	}
	now := time.Now()
	s.mu.Lock()
	callID := s.ids.next(now)
	unit := s.timeUnit
	s.mu.Unlock()
	header.Set("Fn-Call-Id", callID)
	header.Set("Fn-Deadline", now.Add(time.Duration(f.Timeout)*time.Second).UTC().Format(time.RFC3339))
	w.Header().Set("Fn-Call-Id", callID)

	detached := r.Header.Get("Fn-Invoke-Type") == "detached"
	inv := Invocation{
		CallID: callID, AppName: a.Name, FnID: f.ID, Image: f.Image, Detached: detached,
		Method: r.Method, URL: "http://" + r.Host + r.URL.RequestURI(), Header: header, Body: body,
	}
	s.mu.Lock()
	s.invocations = append(s.invocations, inv)
	s.mu.Unlock()

	if detached {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	switch f.Image {
	case ImageSleep:
		timer := time.NewTimer(time.Duration(f.Timeout) * unit)
		defer timer.Stop()
		select {
		case <-r.Context().Done():
		case <-timer.C:
			writeError(w, http.StatusGatewayTimeout, "Timed out")
		}
	case ImageFail:
		writeError(w, http.StatusBadGateway, "function failed")
	default:
		resp := echo(r, functionEnv(a, f), header, body)
		if viaTrigger {
			writeTriggerResponse(w, resp)
		} else {
			maps.Copy(w.Header(), resp.header)
			w.WriteHeader(resp.status)
			w.Write(resp.body)
		}
	}
}

// functionEnv is the environment Fn gives a function: app config overlaid
// by fn config, plus Fn's own variables.
func functionEnv(a *app, f *fn) map[string]string {
	env := maps.Clone(a.Config)
	maps.Copy(env, f.Config)
	env["FN_MEMORY"] = strconv.Itoa(f.Memory)
	env["FN_TYPE"] = "sync"
	env["FN_FN_ID"] = f.ID
	env["FN_APP_ID"] = a.ID
	env["FN_FORMAT"] = "http-stream"
	env["FN_LISTENER"] = "unix:/tmp/iofs/lsnr.sock"
	return env
}

// writeTriggerResponse turns a function's response into the trigger's:
// Fn-Http-Status is the status, Fn-Http-H-* become plain headers, and only
// Content-Type and Fn-Call-Id pass through otherwise.
func writeTriggerResponse(w http.ResponseWriter, resp functionResponse) {
	status := http.StatusOK
	for k, v := range resp.header {
		switch {
		case k == "Fn-Http-Status":
			if n, err := strconv.Atoi(v[0]); err == nil {
				status = n
			}
		case strings.HasPrefix(k, "Fn-Http-H-"):
			w.Header()[http.CanonicalHeaderKey(strings.TrimPrefix(k, "Fn-Http-H-"))] = v
		case k == "Content-Type":
			w.Header()[k] = v
		}
	}
	w.WriteHeader(status)
	w.Write(resp.body)
}
