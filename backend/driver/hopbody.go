package driver

import (
	"context"
	"io"
	"sync"
)

// hopBody is an answer's body; reading it to the end gives its connection
// back to the pool, closing it early closes the connection.
type hopBody struct {
	ctx  context.Context
	t    *hopTransport
	c    *hopConn
	body io.ReadCloser
	stop func() bool
	keep bool

	mu   sync.Mutex
	done bool
}

func (b *hopBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	switch {
	case err == io.EOF:
		b.finish(true)
	case err != nil:
		if ctxErr := contextError(b.ctx, err); ctxErr != nil {
			err = ctxErr
		}
	}
	return n, err
}

func (b *hopBody) Close() error {
	b.finish(false)
	return nil
}

// finish ends the call once: the connection is kept only for an answer
// read to its end whose call was not canceled meanwhile (the cancel has
// then spoiled the connection's deadline).
func (b *hopBody) finish(complete bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	b.done = true
	if b.stop() && complete && b.keep && b.c.br.Buffered() == 0 {
		b.t.putIdle(b.c)
		return
	}
	b.c.Close()
}
