// Package driver is what Picasso's backend drivers (ironfunctions, fn,
// local) share: the shape of a driver, the HTTP policy of the drivers that
// talk to a remote FaaS server, and the client-safe messages of the
// failures every driver can meet.
package driver

import (
	"context"

	"github.com/picasso-faas/picasso"
)

// Driver is the exported shape of every backend driver: the domain's
// Backend and BackendInventory, and Close.
type Driver interface {
	picasso.Backend
	picasso.BackendInventory
	// Close releases what the driver holds (idle connections, running
	// async calls), giving up when ctx ends.
	Close(ctx context.Context) error
}
