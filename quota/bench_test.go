package quota_test

import (
	"context"
	"testing"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/quota"
)

// BenchmarkAdmit is the gate's cost per function call, with both a
// concurrency and a rate limit in force.
func BenchmarkAdmit(b *testing.B) {
	g := quota.NewGate(quota.GateOptions{Limits: quota.Defaults{
		picasso.ResourceConcurrency: 1000, picasso.ResourceRate: 1 << 40,
	}})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		release, err := g.Admit(ctx, "project")
		if err != nil {
			b.Fatal(err)
		}
		release()
	}
}
