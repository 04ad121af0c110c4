// Package logwriter batches log lines into few writes, off the request
// path.
package logwriter

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// DefaultFlushInterval is how long a line waits, at most, for others to
// share its write.
const DefaultFlushInterval = 10 * time.Millisecond

// DefaultLimit is how many bytes may wait before writers block.
const DefaultLimit = 1 << 20

// Async is an io.Writer that queues what it is given and writes it from
// one goroutine, in one write per flush interval: with an access log line
// per request, a write system call per request would cost as much as the
// request's own. It never drops a line: when the queue is full, because
// the output is slow, writers wait for room. A failing output is reported
// once on the fallback writer (stderr), since the log itself cannot say so.
type Async struct {
	out      io.Writer
	fallback io.Writer
	interval time.Duration
	limit    int

	mu      sync.Mutex
	room    *sync.Cond
	pending []byte
	closed  bool
	err     error
	kick    chan struct{}
	done    chan struct{}
}

// New starts an Async writer over out; Close flushes and stops it.
func New(out, fallback io.Writer) *Async {
	a := &Async{
		out: out, fallback: fallback, interval: DefaultFlushInterval, limit: DefaultLimit,
		kick: make(chan struct{}, 1), done: make(chan struct{}),
	}
	a.room = sync.NewCond(&a.mu)
	go a.run()
	return a
}

// Write queues p (a slog handler writes one whole line per call).
func (a *Async) Write(p []byte) (int, error) {
	a.mu.Lock()
	for len(a.pending) > 0 && len(a.pending)+len(p) > a.limit && !a.closed {
		a.room.Wait()
	}
	if a.closed {
		a.mu.Unlock()
		// A late line of a shutdown is written after the last batch
		// rather than lost.
		<-a.done
		return a.out.Write(p)
	}
	wasEmpty := len(a.pending) == 0
	a.pending = append(a.pending, p...)
	a.mu.Unlock()
	if wasEmpty {
		select {
		case a.kick <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

func (a *Async) run() {
	defer close(a.done)
	var batch []byte
	for range a.kick {
		time.Sleep(a.interval)
		a.mu.Lock()
		batch, a.pending = a.pending, batch[:0]
		closed := a.closed
		a.room.Broadcast()
		a.mu.Unlock()
		a.write(batch)
		if closed {
			return
		}
	}
}

func (a *Async) write(batch []byte) {
	if len(batch) == 0 {
		return
	}
	if _, err := a.out.Write(batch); err != nil && a.err == nil {
		a.err = err
		fmt.Fprintf(a.fallback, "picasso: writing the log failed, lines are lost: %v\n", err)
	}
}

// Close writes what is queued and stops the writer; it returns the
// first error of the output.
func (a *Async) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		<-a.done
		return a.err
	}
	a.closed = true
	a.room.Broadcast()
	a.mu.Unlock()
	select {
	case a.kick <- struct{}{}:
	default:
	}
	<-a.done
	return a.err
}
