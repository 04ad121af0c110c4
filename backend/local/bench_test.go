package local

import (
	"context"
	"io"
	"testing"
)

// BenchmarkInvoke measures the runtime's cost per call, one call at a
// time: process start, environment, stdin, stdout capture and kill, with
// and without the sandbox.
func BenchmarkInvoke(b *testing.B) {
	for _, sandbox := range []Sandbox{SandboxNone, SandboxBwrap} {
		b.Run(string(sandbox), func(b *testing.B) {
			rt, err := New(Options{FunctionsDir: examplesDir, Sandbox: sandbox})
			if err != nil {
				b.Skip(err)
			}
			defer rt.Close(context.Background())
			route := newRoute("/hello", "hello")
			for b.Loop() {
				res, err := rt.Invoke(context.Background(), postCall(route, `{"name":"bench"}`))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		})
	}
}
