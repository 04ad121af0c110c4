package keystone_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/internal/testclock"
	"github.com/picasso-faas/picasso/keystone/keystonetest"
)

// Distinct garbage tokens each need Keystone: the caches cannot absorb
// them. Beyond MaxValidations in flight, a new token is refused with
// EUNAVAILABLE at once, without reaching Keystone; once the slots free
// up, validations resume.
func TestDistinctTokensAreBoundedInFlight(t *testing.T) {
	f := keystonetest.StartFake(t)
	clock := testclock.New()
	opts := fakeOptions(f.URL(), clock)
	opts.MaxValidations = 2
	opts.Timeout = time.Minute
	v := newValidator(t, opts)
	gate := make(chan struct{})
	f.HoldValidations(gate)

	held := make(chan error, opts.MaxValidations)
	for i := range opts.MaxValidations {
		go func() {
			_, err := v.Authenticate(t.Context(), fmt.Sprintf("garbage-held-%d", i))
			held <- err
		}()
	}
	waitFor(t, func() bool { return f.Validations.Load() == int64(opts.MaxValidations) })

	for i := range 100 {
		_, err := v.Authenticate(t.Context(), fmt.Sprintf("garbage-flood-%d", i))
		wantCode(t, err, picasso.EUNAVAILABLE, "Too many token validations in progress; retry later")
	}
	if n := f.Validations.Load(); n != int64(opts.MaxValidations) {
		t.Fatalf("Keystone saw %d validations, want %d: the flood got through", n, opts.MaxValidations)
	}

	close(gate)
	for range opts.MaxValidations {
		wantCode(t, <-held, picasso.EUNAUTHENTICATED, "Invalid or expired token")
	}
	_, err := v.Authenticate(t.Context(), "garbage-after")
	wantCode(t, err, picasso.EUNAUTHENTICATED, "Invalid or expired token")
}

// waitFor polls cond for up to 30 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 30 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
