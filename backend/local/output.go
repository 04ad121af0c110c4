package local

import "bytes"

// cappedBuffer keeps the first limit bytes written to it and drops the
// rest while still accepting it, so that the writing process never blocks
// or gets SIGPIPE because of the cap. Crossing the cap closes overflow,
// when set. exec.Cmd writes from a single goroutine and the contents are
// read after Wait, so no lock is needed. (The buffer is a field, not
// embedded: io.Copy would use bytes.Buffer.ReadFrom and bypass the cap.)
type cappedBuffer struct {
	buf       bytes.Buffer
	limit     int64
	overflow  chan struct{}
	truncated bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	room := b.limit - int64(b.buf.Len())
	if int64(len(p)) <= room {
		return b.buf.Write(p)
	}
	b.buf.Write(p[:max(room, 0)])
	if !b.truncated {
		b.truncated = true
		if b.overflow != nil {
			close(b.overflow)
		}
	}
	return len(p), nil
}

func (b *cappedBuffer) Bytes() []byte  { return b.buf.Bytes() }
func (b *cappedBuffer) String() string { return b.buf.String() }
func (b *cappedBuffer) Len() int       { return b.buf.Len() }
