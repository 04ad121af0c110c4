// Package testlog holds what tests collect log output in.
package testlog

import (
	"bytes"
	"sync"
)

// Buffer collects output written from several goroutines, as a logger's
// destination: its zero value is ready, and String may be read while
// writes go on.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
