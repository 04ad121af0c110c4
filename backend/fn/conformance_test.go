package fn_test

import (
	"testing"
	"time"

	"github.com/picasso-faas/picasso/backend/backendtest"
	"github.com/picasso-faas/picasso/backend/driver"
	"github.com/picasso-faas/picasso/backend/fn"
	"github.com/picasso-faas/picasso/backend/fntest"
)

func TestConformance(t *testing.T) {
	server := fntest.New()
	t.Cleanup(server.Close)
	backendtest.Run(t, backendtest.Harness{
		New: func(t *testing.T) driver.Driver {
			c, err := fn.New(server.URL(), fn.Options{Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		EchoImage: fntest.ImageEcho,
		SlowImage: fntest.ImageSleep,
		FailImage: fntest.ImageFail,
	})
}
