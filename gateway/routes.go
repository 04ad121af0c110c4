package gateway

import (
	"net/http"

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

	r.Handle("/", s.handleVersions()).Methods(http.MethodGet)
	r.Handle("/healthz", s.handleHealth()).Methods(http.MethodGet)
	r.Handle("/readyz", s.handleReady()).Methods(http.MethodGet)
	r.Handle("/metrics", promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{})).Methods(http.MethodGet)
	r.Handle("/api/swagger.json", handleSpec()).Methods(http.MethodGet)
	r.Handle("/openapi.json", handleSpec()).Methods(http.MethodGet)
	r.Handle("/api", openapi.UIHandler("/api/swagger.json")).Methods(http.MethodGet)
	r.PathPrefix("/api/").Handler(openapi.UIHandler("/api/swagger.json")).Methods(http.MethodGet)

	read, write := picasso.ActionRead, picasso.ActionWrite
	v1 := r.PathPrefix("/v1").Subrouter()
	v1.Handle("/r/{project_id}/{app}/{route:.+}", s.handleInvokeV1()).Methods(http.MethodPost)
	v1.Handle("/{project_id}/apps", s.authorized(read, s.handleListApps())).Methods(http.MethodGet)
	v1.Handle("/{project_id}/apps", s.authorized(write, s.handleCreateApp())).Methods(http.MethodPost)
	v1.Handle("/{project_id}/apps/{app}", s.authorized(read, s.handleGetApp())).Methods(http.MethodGet)
	v1.Handle("/{project_id}/apps/{app}", s.authorized(write, s.handleUpdateApp())).Methods(http.MethodPut)
	v1.Handle("/{project_id}/apps/{app}", s.authorized(write, s.handleDeleteApp())).Methods(http.MethodDelete)
	v1.Handle("/{project_id}/apps/{app}/routes", s.authorized(read, s.handleListRoutes())).Methods(http.MethodGet)
	v1.Handle("/{project_id}/apps/{app}/routes", s.authorized(write, s.handleCreateRoute())).Methods(http.MethodPost)
	v1.Handle("/{project_id}/apps/{app}/routes/{route:.+}", s.authorized(read, s.handleGetRoute())).Methods(http.MethodGet)
	v1.Handle("/{project_id}/apps/{app}/routes/{route:.+}", s.authorized(write, s.handleUpdateRoute())).Methods(http.MethodPut)
	v1.Handle("/{project_id}/apps/{app}/routes/{route:.+}", s.authorized(write, s.handleDeleteRoute())).Methods(http.MethodDelete)

	// One pattern serves both /r/{project_id}/{app}/{route} and
	// /r/{app}/{route}: the shape of the first segment decides (invoke.go).
	r.Handle("/r/{first}/{rest:.+}", s.handleInvoke())

	r.NotFoundHandler = s.observe(s.handleNotFound())
	r.MethodNotAllowedHandler = s.observe(s.handleMethodNotAllowed())
	s.router = r
	return s.withRequestID(s.recoverPanics(r))
}
