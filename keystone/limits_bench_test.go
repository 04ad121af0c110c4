package keystone_test

import (
	"log/slog"
	"testing"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/keystone"
	"github.com/picasso-faas/picasso/keystone/keystonetest"
)

// BenchmarkCachedLimit is the lookup every function call makes twice.
func BenchmarkCachedLimit(b *testing.B) {
	env := keystonetest.Connect(b)
	service := env.NewService(b)
	service.RegisterLimit(b, string(picasso.ResourceConcurrency), 10)
	project := env.NewProject(b)
	opts := env.ServiceOptions()
	opts.Logger = slog.New(slog.DiscardHandler)
	l := newLimitReaderB(b, opts, service.Name)
	if got, _ := l.Limit(b.Context(), project.ID, picasso.ResourceConcurrency); got != 10 {
		b.Fatalf("limit %d, want 10", got)
	}
	b.ReportAllocs()
	for b.Loop() {
		l.Limit(b.Context(), project.ID, picasso.ResourceConcurrency)
	}
}

func newLimitReaderB(b *testing.B, opts keystone.Options, service string) *keystone.LimitReader {
	b.Helper()
	l, err := keystone.NewLimitReader(opts, keystone.LimitOptions{Service: service})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(l.Close)
	return l
}
