package gateway

import (
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// guardBody bounds how long a client may take to send a request body, and
// delivers an answer given without the whole body at once.
//
// net/http has no deadline on bodies of its own once the headers are in,
// and before it writes a response it reads whatever body the handler left
// unread, so that the connection can carry the next request: a client
// that sends headers and part of a body held its connection forever, and
// never got even an answer decided without the body (401, 404, 504).
// Here a body gets BodyReadTimeout (a function call moves the deadline to
// its own, see forward); a response begun before the body was read to its
// end carries "Connection: close", which keeps net/http from reading the
// rest, and once the handler is done the unread rest is cut off within
// unreadBodyGrace.
func (s *Server) guardBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		rc.SetReadDeadline(time.Now().Add(s.cfg.BodyReadTimeout))
		body := &trackedBody{ReadCloser: r.Body}
		r.Body = body
		next.ServeHTTP(&closingWriter{ResponseWriter: w, body: body}, r)
		if !body.sawEOF.Load() {
			rc.SetReadDeadline(time.Now().Add(unreadBodyGrace))
		}
	})
}

// unreadBodyGrace is how long net/http may still read an unread body
// after the answer is out. Reading a little lets a client that is still
// sending see the answer rather than a connection reset (net/http then
// closes gently); a stalled client is cut when it ends.
const unreadBodyGrace = 500 * time.Millisecond

// trackedBody remembers whether its reader reached the end. It is read by
// the backend's transport while the handler may be writing the answer.
type trackedBody struct {
	io.ReadCloser
	sawEOF atomic.Bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.sawEOF.Store(true)
	}
	return n, err
}

// closingWriter asks for the connection to be closed when the answer
// starts before the body has been read to its end.
type closingWriter struct {
	http.ResponseWriter
	body    *trackedBody
	started bool
}

func (w *closingWriter) WriteHeader(status int) {
	if !w.started {
		w.started = true
		if !w.body.sawEOF.Load() {
			w.Header().Set("Connection", "close")
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *closingWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

func (w *closingWriter) Flush() {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *closingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
