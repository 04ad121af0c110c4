package logwriter

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recordingWriter keeps what it is given and counts its writes.
type recordingWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes atomic.Int64
	delay  time.Duration
	err    error
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	time.Sleep(w.delay)
	w.writes.Add(1)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	return w.buf.Write(p)
}

func (w *recordingWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestLinesAreBatchedAndAllWrittenInOrder(t *testing.T) {
	out := &recordingWriter{}
	a := New(out, &bytes.Buffer{})
	var want strings.Builder
	for i := range 1000 {
		line := fmt.Sprintf("line %d\n", i)
		want.WriteString(line)
		if _, err := a.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if out.String() != want.String() {
		t.Fatalf("lines lost or out of order: got %d bytes, want %d", len(out.String()), want.Len())
	}
	if n := out.writes.Load(); n >= 100 {
		t.Errorf("1000 lines took %d writes, want them batched", n)
	}
}

func TestASlowOutputMakesWritersWaitInsteadOfDropping(t *testing.T) {
	out := &recordingWriter{delay: 5 * time.Millisecond}
	a := New(out, &bytes.Buffer{})
	a.limit = 64 // a few lines
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				fmt.Fprintf(a, "writer %d line %02d\n", w, i)
			}
		}()
	}
	wg.Wait()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	got := strings.Count(out.String(), "\n")
	if got != 200 {
		t.Fatalf("%d lines written, want all 200", got)
	}
}

func TestAFailingOutputIsReportedOnce(t *testing.T) {
	out := &recordingWriter{err: errors.New("disk full")}
	fallback := &bytes.Buffer{}
	a := New(out, fallback)
	a.Write([]byte("one\n"))
	a.Close()
	a.Write([]byte("late\n"))
	if err := a.Close(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Close: %v, want the output's error", err)
	}
	if strings.Count(fallback.String(), "disk full") != 1 {
		t.Errorf("fallback got %q, want the failure once", fallback.String())
	}
}

func TestLinesAfterCloseAreStillWritten(t *testing.T) {
	out := &recordingWriter{}
	a := New(out, &bytes.Buffer{})
	a.Write([]byte("before\n"))
	a.Close()
	a.Write([]byte("after\n"))
	if out.String() != "before\nafter\n" {
		t.Errorf("got %q", out.String())
	}
}
