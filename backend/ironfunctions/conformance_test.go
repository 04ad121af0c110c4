package ironfunctions_test

import (
	"strings"
	"testing"

	"github.com/picasso-faas/picasso/backend/backendtest"
	"github.com/picasso-faas/picasso/backend/driver"
	"github.com/picasso-faas/picasso/backend/ironfunctions"
	"github.com/picasso-faas/picasso/backend/ironfunctionstest"
)

func TestConformance(t *testing.T) {
	backendtest.Run(t, backendtest.Harness{
		New: func(t *testing.T) driver.Driver {
			srv := ironfunctionstest.New()
			t.Cleanup(func() {
				// The suite must never make IronFunctions panic.
				for _, r := range srv.Requests() {
					if strings.HasPrefix(r, "GET /v1/routes") {
						t.Errorf("driver sent %s", r)
					}
				}
				srv.Close()
			})
			c, err := ironfunctions.New(srv.URL()+"/v1/", ironfunctions.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		EchoImage: "iron/echo",
		SlowImage: ironfunctionstest.ImageSleep,
		FailImage: ironfunctionstest.ImageFail,
	})
}
