package local

import (
	"testing"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/backendtest"
)

func TestConformance(t *testing.T) {
	backendtest.Run(t, backendtest.Harness{
		New: func(t *testing.T) picasso.Backend {
			rt, _ := newRuntime(t, Options{})
			return rt
		},
		EchoImage: "echo",
		SlowImage: "slow",
		FailImage: "fail",
	})
}
