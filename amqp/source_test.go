package amqp

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

func TestBrokerErrorsCarryNoCredentials(t *testing.T) {
	src, err := New("bus", "amqp://picasso:s3cr3t-pw@127.0.0.1:1/", nil)
	if err != nil {
		t.Fatal(err)
	}
	reported := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go src.Consume(ctx, picasso.EventSubscription{Queue: "q", Report: func(err error) {
		select {
		case reported <- err:
		default:
		}
	}}, func(context.Context, *picasso.EventMessage) error { return nil })
	select {
	case err := <-reported:
		if msg := picasso.ErrorMessage(err); strings.Contains(msg, "s3cr3t-pw") || strings.Contains(err.Error(), "s3cr3t-pw") ||
			!strings.Contains(msg, "Broker bus") {
			t.Fatalf("error %q", err)
		}
	case <-ctx.Done():
		t.Fatal("an unreachable broker was never reported")
	}
	// A scrubbed message stays scrubbed even when the client quotes the URL.
	if msg := src.scrub(errString("dial amqp://picasso:s3cr3t-pw@host"), "connect").Error(); strings.Contains(msg, "s3cr3t-pw") {
		t.Fatalf("scrub left the password: %s", msg)
	}
	if _, err := New("bus", "http://x/", nil); !picasso.IsCode(err, picasso.EINVALID) {
		t.Fatalf("New(http://) = %v", err)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
