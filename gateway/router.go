package gateway

import (
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/openapi"
)

// newRouter lays out the whole API surface. Every path here is also in
// openapi/openapi.yaml; a test fails when the two disagree.
func (s *Server) newRouter() http.Handler {
	r := mux.NewRouter()
	// Clean paths would answer "//" and ".." with redirects; the handlers
	// validate paths themselves and answer 4xx instead.
	r.SkipClean(true)
	r.Use(s.observe)

	// One pattern serves both /r/{project_id}/{app}/{route} and
	// /r/{app}/{route}: the shape of the first segment decides (invoke.go).
	// invokeFirst serves its calls without the router; the router holds
	// it too, for the methods it refuses and for the contract test.
	invoke := s.handleInvoke()
	r.Handle(invokeTemplate, invoke).Methods(functionMethods...)

	r.Handle("/", s.handleVersions()).Methods(readMethods...)
	r.Handle("/healthz", s.handleHealth()).Methods(readMethods...)
	r.Handle("/readyz", s.handleReady()).Methods(readMethods...)
	r.Handle("/metrics", promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{})).Methods(readMethods...)
	r.Handle("/api/swagger.json", s.handleSpec()).Methods(readMethods...)
	r.Handle("/openapi.json", s.handleSpec()).Methods(readMethods...)
	r.Handle("/api", openapi.UIHandler("/api/swagger.json")).Methods(readMethods...)
	r.PathPrefix("/api/").Handler(openapi.UIHandler("/api/swagger.json")).Methods(readMethods...)

	read, write := picasso.ActionRead, picasso.ActionWrite
	// No mux subrouter for /v1: a subrouter turns a method mismatch into a
	// 404 or a match with no error, so 405 and OPTIONS could not work.
	v1 := func(path string, h http.Handler) *mux.Route { return r.Handle("/v1"+path, h) }
	v1("/r/{project_id}/{app}/{route:.+}", s.handleInvokeV1()).Methods(http.MethodPost)
	v1("/{project_id}/limits", s.authorized(read, s.handleGetLimits())).Methods(readMethods...)
	v1("/{project_id}/apps", s.authorized(read, s.handleListApps())).Methods(readMethods...)
	v1("/{project_id}/apps", s.authorized(write, s.handleCreateApp())).Methods(http.MethodPost)
	v1("/{project_id}/apps/{app}", s.authorized(read, s.handleGetApp())).Methods(readMethods...)
	v1("/{project_id}/apps/{app}", s.authorized(write, s.handleUpdateApp())).Methods(http.MethodPut)
	v1("/{project_id}/apps/{app}", s.authorized(write, s.handleDeleteApp())).Methods(http.MethodDelete)
	v1("/{project_id}/apps/{app}/routes", s.authorized(read, s.handleListRoutes())).Methods(readMethods...)
	v1("/{project_id}/apps/{app}/routes", s.authorized(write, s.handleCreateRoute())).Methods(http.MethodPost)
	// The webhook patterns come first: {route:.+} would swallow ".../webhooks".
	// picasso.ValidateRoutePath keeps "webhooks" out of route paths, so no
	// route is ever shadowed by them.
	webhooks := "/{project_id}/apps/{app}/routes/{route:.+}/webhooks"
	v1(webhooks, s.authorized(read, s.handleListWebhooks())).Methods(readMethods...)
	v1(webhooks, s.authorized(write, s.handleCreateWebhook())).Methods(http.MethodPost)
	v1(webhooks+"/{webhook_id}", s.authorized(read, s.handleGetWebhook())).Methods(readMethods...)
	v1(webhooks+"/{webhook_id}", s.authorized(write, s.handleUpdateWebhook())).Methods(http.MethodPut)
	v1(webhooks+"/{webhook_id}", s.authorized(write, s.handleDeleteWebhook())).Methods(http.MethodDelete)
	v1(webhooks+"/{webhook_id}/rotate", s.authorized(write, s.handleRotateWebhook())).Methods(http.MethodPost)
	code := "/{project_id}/apps/{app}/routes/{route:.+}/code" // reserved like webhooks
	v1(code, s.authorized(read, s.handleGetCode())).Methods(readMethods...)
	v1(code, s.authorized(write, s.handlePutCode())).Methods(http.MethodPut)
	v1("/runtimes", s.handleRuntimes()).Methods(readMethods...)
	v1("/capabilities", s.handleCapabilities()).Methods(readMethods...)
	v1("/{project_id}/apps/{app}/routes/{route:.+}", s.authorized(read, s.handleGetRoute())).Methods(readMethods...)
	v1("/{project_id}/apps/{app}/routes/{route:.+}", s.authorized(write, s.handleUpdateRoute())).Methods(http.MethodPut)
	v1("/{project_id}/apps/{app}/routes/{route:.+}", s.authorized(write, s.handleDeleteRoute())).Methods(http.MethodDelete)

	v1("/{project_id}/schedules", s.authorized(read, s.handleListSchedules())).Methods(readMethods...)
	v1("/{project_id}/schedules", s.authorized(write, s.handleCreateSchedule())).Methods(http.MethodPost)
	v1("/{project_id}/schedules/{schedule_id}", s.authorized(read, s.handleGetSchedule())).Methods(readMethods...)
	v1("/{project_id}/schedules/{schedule_id}", s.authorized(write, s.handleUpdateSchedule())).Methods(http.MethodPut)
	v1("/{project_id}/schedules/{schedule_id}", s.authorized(write, s.handleDeleteSchedule())).Methods(http.MethodDelete)
	v1("/{project_id}/triggers", s.authorized(read, s.handleListTriggers())).Methods(readMethods...)
	v1("/{project_id}/triggers", s.authorized(write, s.handleCreateTrigger())).Methods(http.MethodPost)
	v1("/{project_id}/triggers/{trigger_id}", s.authorized(read, s.handleGetTrigger())).Methods(readMethods...)
	v1("/{project_id}/triggers/{trigger_id}", s.authorized(write, s.handleUpdateTrigger())).Methods(http.MethodPut)
	v1("/{project_id}/triggers/{trigger_id}", s.authorized(write, s.handleDeleteTrigger())).Methods(http.MethodDelete)
	v1("/{project_id}/calls", s.authorized(read, s.handleListCalls())).Methods(readMethods...)
	v1("/{project_id}/calls/{call_id}", s.authorized(read, s.handleGetCall())).Methods(readMethods...)
	v1("/{project_id}/calls/{call_id}", s.authorized(write, s.handleCancelCall())).Methods(http.MethodDelete)
	v1("/{project_id}/calls/{call_id}/retry", s.authorized(write, s.handleRetryCall())).Methods(http.MethodPost)
	v1("/{project_id}/callback_key", s.authorized(write, s.handleGetCallbackKey())).Methods(readMethods...)

	r.Handle("/webhooks/{token}", s.handleInvokeWebhook()).Methods(http.MethodPost)

	r.NotFoundHandler = s.observe(s.handleNotFound())
	r.MethodNotAllowedHandler = s.observe(s.handleMethodNotAllowed())
	nameRoutes(r)
	s.router = r
	invokeRoute := s.observeAs(routeName(invokeTemplate), invoke)
	return s.withRequestID(s.separateOrigins(s.guardBody(s.recoverPanics(invokeFirst(invokeRoute, r)))))
}

// invokeTemplate is the router's pattern of function calls, which
// invokePath matches without a regular expression.
const invokeTemplate = "/r/{first}/{rest:.+}"

// invokeFirst hands function calls straight to invoke, observed under the
// route's name: asking the router costs a call the regular expressions
// of its match and two copies of the request to carry what it matched,
// about a fifth of the gateway's own CPU per call in a profile. Every
// other request, a refused method on a function's path included, goes to
// the router.
func invokeFirst(invoke, router http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := invokePath(r.URL.Path); ok && slices.Contains(functionMethods, r.Method) {
			invoke.ServeHTTP(w, r)
			return
		}
		router.ServeHTTP(w, r)
	})
}

// invokePath splits a path of invokeTemplate's form into its two
// variables, as the router's expression would: first is one segment
// (anything but '/'), rest is what follows its '/', not empty and, as a
// regular expression's '.' cannot, holding no newline.
func invokePath(path string) (first, rest string, ok bool) {
	tail, found := strings.CutPrefix(path, "/r/")
	if !found {
		return "", "", false
	}
	first, rest, found = strings.Cut(tail, "/")
	if !found || first == "" || rest == "" || strings.IndexByte(rest, '\n') >= 0 {
		return "", "", false
	}
	return first, rest, true
}

// readMethods serve a resource; HEAD works wherever GET does (net/http
// drops the body of a HEAD answer). OPTIONS and the 405 answer of every
// path list the methods it allows (methods.go).
var readMethods = []string{http.MethodGet, http.MethodHead}

// functionMethods are passed to functions, OPTIONS included (CORS
// preflights are the function's business); TRACE, CONNECT and invented
// methods get 405.
var functionMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions,
}

// nameRoutes names every route after its template without the patterns
// ("/r/{first}/{rest}"), the label of logs and metrics.
func nameRoutes(r *mux.Router) {
	r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if template, err := route.GetPathTemplate(); err == nil && route.GetName() == "" {
			route.Name(routeName(template))
		}
		return nil
	})
}

// routeName is a route's name: its template without the patterns.
func routeName(template string) string { return routePatterns.ReplaceAllString(template, "") }

var routePatterns = regexp.MustCompile(`:[^}]+`)
