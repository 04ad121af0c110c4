package local

import (
	"testing"

	"github.com/picasso-faas/picasso/backend/backendtest"
	"github.com/picasso-faas/picasso/backend/driver"
)

func TestConformance(t *testing.T) {
	backendtest.Run(t, backendtest.Harness{
		New: func(t *testing.T) driver.Driver {
			rt, _ := newRuntime(t, Options{})
			return rt
		},
		EchoImage: "echo",
		SlowImage: "slow",
		FailImage: "fail",
	})
}
