package local

import (
	"context"
	"io"
	"testing"
)

// BenchmarkInvokeHello measures the runtime's cost per call: process
// start, environment, stdin, stdout capture and group kill.
func BenchmarkInvokeHello(b *testing.B) {
	rt, err := New(Options{FunctionsDir: examplesDir})
	if err != nil {
		b.Fatal(err)
	}
	route := newRoute("/hello", "hello")
	route.MaxConcurrency = 1000
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := rt.Invoke(context.Background(), postCall(route, `{"name":"bench"}`))
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	})
}
