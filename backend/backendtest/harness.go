// Package backendtest is the conformance suite every picasso.Backend must
// pass: the same behaviour tests run unchanged against IronFunctions, the
// embedded local runtime and Fn v2, so the gateway can treat them alike.
package backendtest

import (
	"testing"
	"time"

	"github.com/picasso-faas/picasso/backend/driver"
)

// Harness tells the suite how to build a backend and which function images
// behave how on it.
type Harness struct {
	// New returns a backend for one subtest, which the suite closes at the
	// subtest's end. Subtests run in parallel and use their own random app
	// names, so several may share one runtime.
	New func(t *testing.T) driver.Driver

	// EchoImage answers a sync call with a body that contains the request
	// body it received.
	EchoImage string
	// SlowImage runs longer than one second, the timeout the suite gives
	// its routes.
	SlowImage string
	// FailImage fails: exits non-zero or otherwise reports an error.
	FailImage string

	// Margin is added to a route's timeout to form the deadline of an
	// invocation, as the gateway does. Zero means two seconds.
	Margin time.Duration

	// NoRouteHeaders says the backend does not keep route response
	// headers, so the suite neither sets nor compares them.
	NoRouteHeaders bool
}

func (h *Harness) margin() time.Duration {
	if h.Margin > 0 {
		return h.Margin
	}
	return 2 * time.Second
}

func (h *Harness) check(t *testing.T) {
	t.Helper()
	if h.New == nil || h.EchoImage == "" || h.SlowImage == "" || h.FailImage == "" {
		t.Fatal("backendtest: Harness needs New, EchoImage, SlowImage and FailImage")
	}
}
