package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"unicode/utf8"

	"github.com/picasso-faas/picasso"
)

// The old client's envelope, {"message": ..., "result": "<output>"}, with
// the keys in the order encoding/json gives them, so that the output is
// streamed last.
const (
	envelopeHead = `{"message":"App route successfully executed","result":"`
	envelopeTail = "\"}\n"
)

// writeEnvelope answers python-picassoclient's form: the function's output
// as a JSON string under "result". The output is escaped as it streams, so
// a call holds two small buffers, never the output: reading it whole and
// escaping it (up to six bytes per byte) cost hundreds of MiB per call.
//
// An output that cannot even start (the first read fails) is a 502. Once
// the first bytes are out, the status is sent; a failure later, or an
// output over MaxBodyBytes, can only abort the connection, which the
// client sees as a truncated response.
func (s *Server) writeEnvelope(ctx context.Context, w http.ResponseWriter, res *picasso.CallResult) error {
	bufs := envelopeBuffers.Get().(*envelopeBuffer)
	defer envelopeBuffers.Put(bufs)
	output := &io.LimitedReader{R: res.Body, N: s.cfg.MaxBodyBytes + 1}
	first, err := io.ReadAtLeast(output, bufs.in[:cap(bufs.in)-utf8.UTFMax], 1)
	if err != nil && !errors.Is(err, io.EOF) {
		return s.callError(ctx, picasso.Wrap(picasso.EBADGATEWAY, err, "Function response was cut short"))
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(res.Status)
	io.WriteString(w, envelopeHead)
	if err := streamJSONString(w, output, bufs, first); err != nil {
		s.logger.WarnContext(ctx, "enveloped function response cut short", "error", err)
		panic(http.ErrAbortHandler)
	}
	if output.N == 0 {
		s.logger.WarnContext(ctx, "enveloped function response over the limit: connection aborted", "limit", s.cfg.MaxBodyBytes)
		panic(http.ErrAbortHandler)
	}
	io.WriteString(w, envelopeTail)
	return nil
}

// envelopeBuffer holds a chunk of output (plus room for an incomplete
// UTF-8 sequence carried over) and its escaped form (at most six bytes
// per input byte).
type envelopeBuffer struct {
	in, out []byte
}

const envelopeChunk = 32 << 10

var envelopeBuffers = sync.Pool{New: func() any {
	return &envelopeBuffer{
		in:  make([]byte, envelopeChunk+utf8.UTFMax),
		out: make([]byte, 0, 6*(envelopeChunk+utf8.UTFMax)),
	}
}}

// streamJSONString writes the bytes of r escaped as the inside of a JSON
// string, exactly as encoding/json escapes a Go string: invalid UTF-8
// becomes U+FFFD, and <, >, &, U+2028 and U+2029 are escaped as well. The
// first n bytes of bufs.in have already been read from r.
func streamJSONString(w io.Writer, r io.Reader, bufs *envelopeBuffer, n int) error {
	carry := 0
	for {
		var readErr error
		if n == 0 {
			n, readErr = r.Read(bufs.in[carry : carry+envelopeChunk])
		}
		out, rest := appendEscaped(bufs.out[:0], bufs.in[:carry+n], readErr != nil)
		if len(out) > 0 {
			if _, err := w.Write(out); err != nil {
				return err
			}
		}
		carry, n = copy(bufs.in, rest), 0
		if readErr == io.EOF {
			return nil
		}
		if readErr != nil {
			return readErr
		}
	}
}

// appendEscaped appends the escaped form of data to out. Unless atEOF, an
// incomplete UTF-8 sequence at the end is left over in rest, to be
// completed by the next chunk.
func appendEscaped(out, data []byte, atEOF bool) (_, rest []byte) {
	const hex = "0123456789abcdef"
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				out = append(out, '\\', c)
			case c == '\n':
				out = append(out, '\\', 'n')
			case c == '\r':
				out = append(out, '\\', 'r')
			case c == '\t':
				out = append(out, '\\', 't')
			case c < ' ' || c == '<' || c == '>' || c == '&':
				out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				out = append(out, c)
			}
			i++
			continue
		}
		if !atEOF && !utf8.FullRune(data[i:]) {
			return out, data[i:]
		}
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			out = append(out, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			out = append(out, data[i:i+size]...)
		}
		i += size
	}
	return out, nil
}
