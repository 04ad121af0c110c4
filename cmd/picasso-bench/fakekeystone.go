package main

import (
	"context"
	"io"

	"github.com/picasso-faas/picasso/keystone/keystonetest"
)

// runFakeKeystone serves the fake Keystone when no real one is
// configured: it issues a token to any password login and validates the
// tokens it issued. It answers at once, so the uncached case shows
// Picasso's own cost of a validation round trip, not Keystone's 7–12 ms.
func runFakeKeystone(ctx context.Context, stdout io.Writer) error {
	return serveHelper(ctx, keystonetest.NewFake(), stdout)
}
