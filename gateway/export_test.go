package gateway

import (
	"maps"
	"testing"

	"github.com/gorilla/mux"

	"github.com/picasso-faas/picasso"
)

// ReplaceStatusMap makes writeError answer with the statuses of m until
// the test ends, so that a test can tell an error that went through the
// one domain-code → status map from a status a handler wrote itself.
// The tests of this package run sequentially, so no request of another
// test sees the replaced map.
func ReplaceStatusMap(t testing.TB, m map[picasso.Code]int) {
	old := statusOf
	statusOf = m
	t.Cleanup(func() { statusOf = old })
}

// StatusMap returns a copy of the domain-code → status map.
func StatusMap() map[picasso.Code]int { return maps.Clone(statusOf) }

// Router is the API surface, for tests that walk it.
func (s *Server) Router() *mux.Router { return s.router }

// RaceEnabled tells volume tests that the race detector is on.
const RaceEnabled = raceEnabled

// The views of the API's answers, for tests to decode answers into.
type (
	AppView     = appView
	RouteView   = routeView
	WebhookView = webhookView
)
