package gateway_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/gateway"
)

// zeroOutput answers every call with size NUL bytes, the output that
// grows most when JSON-escaped (six bytes each), without holding them.
type zeroOutput struct {
	picasso.Backend
	size int64
}

func (b zeroOutput) Invoke(_ context.Context, call *picasso.Call) (*picasso.CallResult, error) {
	io.Copy(io.Discard, call.Body)
	return &picasso.CallResult{Status: 200, Header: http.Header{}, Body: io.NopCloser(io.LimitReader(zeros{}, b.size))}, nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// envelopeSummary keeps the ends of a streamed response and counts the
// rest, so that the client holds no response in memory either.
type envelopeSummary struct {
	head, tail []byte
	size       int64
}

func (s *envelopeSummary) Write(p []byte) (int, error) {
	if len(s.head) < 64 {
		s.head = append(s.head, p[:min(len(p), 64-len(s.head))]...)
	}
	s.tail = append(s.tail, p[max(0, len(p)-16):]...)
	s.tail = s.tail[max(0, len(s.tail)-16):]
	s.size += int64(len(p))
	return len(p), nil
}

// TestEnvelopedOutputsStream runs 20 concurrent /v1/r calls whose outputs
// are 10 MiB of NUL bytes (60 MiB once escaped, 1.2 GiB in all). The heap
// may grow by at most 48 MiB, well under one output per call: the old
// envelope read each output whole and escaped it in memory, about 2 GiB in
// all. Under the race detector the outputs are a tenth, the bound the
// same (the old code needed about 300 MiB then).
func TestEnvelopedOutputsStream(t *testing.T) {
	const calls = 20
	output, bound := int64(10<<20), uint64(48<<20)
	if gateway.RaceEnabled { // ten times slower: a tenth of the volume
		output /= 10
	}
	h := newHarness(t, sqliteURI(t), func(c *gateway.Config, d *gateway.Deps) {
		c.MaxBodyBytes = 2 * output
		d.Backend = zeroOutput{Backend: d.Backend, size: output}
	})
	h.createApp(projA, "member-a", "big")
	h.createRoute(projA, "member-a", "big", map[string]any{"path": "/out", "image": "iron/echo"})

	stop := sampleHeap()
	var wg sync.WaitGroup
	summaries := make([]envelopeSummary, calls)
	errs := make([]error, calls)
	for i := range calls {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", h.url+"/v1/r/"+projA+"/big/out", strings.NewReader("x"))
			req.Header.Set("X-Auth-Token", "member-a")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			_, errs[i] = io.Copy(&summaries[i], resp.Body)
		})
	}
	wg.Wait()
	grown := stop()

	head := `{"message":"App route successfully executed","result":"\u0000`
	want := int64(len(head)-len(`\u0000`)+len("\"}\n")) + 6*output
	for i, s := range summaries {
		if errs[i] != nil || s.size != want || !bytes.HasPrefix(s.head, []byte(head)) || !bytes.HasSuffix(s.tail, []byte("\\u0000\"}\n")) {
			t.Fatalf("call %d: err %v, %d bytes (want %d), %q ... %q", i, errs[i], s.size, want, s.head, s.tail)
		}
	}
	t.Logf("heap grew by %d MiB at most", grown>>20)
	if grown > bound {
		t.Errorf("the heap grew by %d MiB during %d enveloped calls of %d MiB, bound %d MiB", grown>>20, calls, output>>20, bound>>20)
	}
}

// sampleHeap samples the heap in use until the returned function is
// called, which answers the peak growth over the heap at the start.
func sampleHeap() func() uint64 {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-sampled
		return peak.Load() - min(peak.Load(), base.HeapInuse)
	}
}
