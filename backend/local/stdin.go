package local

import (
	"errors"
	"io"
	"net/http"

	"github.com/picasso-faas/picasso"
)

// feedStdin copies the payload to the function and reports a failure to
// read it, before closing stdin: a function that reads to the end exits
// only after that, so the caller sees the report once Wait returns.
// Failures to write, such as a function that exits without reading, are
// no error.
func feedStdin(w io.WriteCloser, payload io.Reader, fed chan<- error) {
	rec := &readErrRecorder{r: payload}
	_, _ = io.Copy(w, rec)
	fed <- rec.err
	w.Close()
}

type readErrRecorder struct {
	r   io.Reader
	err error
}

func (x *readErrRecorder) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	if err != nil && err != io.EOF {
		x.err = err
	}
	return n, err
}

// bodyError classifies a failure to read the caller's request body.
func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return picasso.Wrap(picasso.ETOOLARGE, err, "Request body too large: the limit is %d bytes", tooLarge.Limit)
	}
	return picasso.Wrap(picasso.EINVALID, err, "Could not read the request body")
}
