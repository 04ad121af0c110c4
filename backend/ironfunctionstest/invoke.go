package ironfunctionstest

import (
	"encoding/json"
	"io"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Echo is the body an echoing function answers: what IronFunctions would
// have handed the container.
type Echo struct {
	Method  string            `json:"method"`
	Env     map[string]string `json:"env"`
	Payload string            `json:"payload"`
}

// handleInvoke reproduces runner.go: exact lookup of the cleaned path,
// async calls queued with 202, sync calls run with the route's timeout.
func (s *Server) handleInvoke(w http.ResponseWriter, r *http.Request, appName, rest string) {
	routePath := path.Clean(rest)
	s.mu.Lock()
	a, appOK := s.apps[appName]
	rt, routeOK := s.routes[appName][routePath]
	var appConfig map[string]string
	if appOK {
		appConfig = cloneMap(a.Config)
	}
	if routeOK {
		rt = rt.clone()
	}
	hang := s.hang
	s.mu.Unlock()

	switch {
	case !appOK:
		writeError(w, http.StatusNotFound, "App not found")
		return
	case !routeOK:
		writeError(w, http.StatusNotFound, "Route not found on that application")
		return
	}

	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // the client went away mid-body
	}
	inv := Invocation{
		App:    appName,
		Route:  rt.Path,
		Method: r.Method,
		Query:  r.URL.RawQuery,
		Header: r.Header.Clone(),
		Body:   body,
		Async:  rt.Type == "async",
		CallID: uuid.NewString(),
	}
	s.mu.Lock()
	s.calls = append(s.calls, inv)
	s.mu.Unlock()

	if inv.Async {
		writeJSON(w, http.StatusAccepted, map[string]string{"call_id": inv.CallID})
		return
	}
	switch rt.Image {
	case ImageSleep:
		if hang {
			<-r.Context().Done()
			return
		}
		t := time.NewTimer(time.Duration(rt.Timeout) * time.Second)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		setRouteHeaders(w, rt)
		writeJSON(w, http.StatusGatewayTimeout, errorBody{RequestID: inv.CallID, Error: errorMessage{"Timed out"}})
	case ImageFail:
		setRouteHeaders(w, rt)
		writeJSON(w, http.StatusInternalServerError, errorBody{RequestID: inv.CallID, Error: errorMessage{"exit code 1"}})
	default:
		setRouteHeaders(w, rt)
		echo := Echo{Method: r.Method, Env: environment(r, rt, appConfig), Payload: payload(r, body)}
		writeEcho(w, echo)
	}
}

// writeEcho writes 200 without a Content-Type of its own: upstream sets
// none, so it comes from a route header or from sniffing.
func writeEcho(w http.ResponseWriter, echo Echo) {
	b, err := json.Marshal(echo)
	if err != nil {
		panic(err)
	}
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// setRouteHeaders adds the route's headers, first value of each only.
func setRouteHeaders(w http.ResponseWriter, rt *route) {
	for k, v := range rt.Headers {
		if len(v) > 0 {
			w.Header().Set(k, v[0])
		}
	}
}

// payload is the function's stdin: the body of a POST, ?payload= of a
// GET, nothing for other methods.
func payload(r *http.Request, body []byte) string {
	switch r.Method {
	case http.MethodPost:
		return string(body)
	case http.MethodGet:
		return r.URL.Query().Get("payload")
	}
	return ""
}

// environment is what upstream sets on the container: request facts, app
// then route config, then every request header.
func environment(r *http.Request, rt *route, appConfig map[string]string) map[string]string {
	env := map[string]string{
		"METHOD": r.Method,
		"ROUTE":  rt.Path,
		// Upstream formats "%v//%v%v" with the scheme: the colon is lost.
		"REQUEST_URL": "http//" + r.Host + r.URL.String(),
	}
	for k, v := range appConfig {
		env[envName("", k)] = v
	}
	for k, v := range rt.Config {
		env[envName("", k)] = v
	}
	for k, v := range r.Header {
		env[envName("HEADER", k)] = strings.Join(v, " ")
	}
	return env
}

func envName(prefix, key string) string {
	name := strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
	if prefix == "" {
		return name
	}
	return prefix + "_" + name
}
