package keystone_test

import (
	"testing"
	"time"

	"github.com/picasso-faas/picasso/internal/testclock"
	"github.com/picasso-faas/picasso/keystone"
	"github.com/picasso-faas/picasso/keystone/keystonetest"
)

// A Fernet-sized token (Keystone's are about 180 bytes).
const benchToken = "gAAAAABnExampleFernetTokenOfRealisticLength0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

func cachedValidator(b *testing.B) *keystone.Validator {
	f := keystonetest.StartFake(b)
	clock := testclock.New()
	f.AddToken(benchToken, "p1", clock.Now().Add(time.Hour), "member", "reader")
	v := newValidator(b, fakeOptions(f.URL(), clock))
	if _, err := v.Authenticate(b.Context(), benchToken); err != nil {
		b.Fatal(err)
	}
	return v
}

// BenchmarkAuthenticateCached measures the hot path: a token validated
// before, answered from the cache.
func BenchmarkAuthenticateCached(b *testing.B) {
	v := cachedValidator(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Authenticate(ctx, benchToken); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateCachedParallel is the same from every core at once.
func BenchmarkAuthenticateCachedParallel(b *testing.B) {
	v := cachedValidator(b)
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Authenticate(ctx, benchToken); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
