package driver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/picasso-faas/picasso"
)

// Answer is a management call's answer: its status and its body, read
// whole (up to the caller's limit) and closed.
type Answer struct {
	Status int
	Body   []byte
}

// SendJSON sends req, a management request without a body yet, with in
// encoded as its JSON body (none when in is nil), and reads the answer up
// to limit bytes. Failing to send or to read is a TransportError under
// req's context; what the status means is for the driver to say.
func SendJSON(client *http.Client, req *http.Request, in any, limit int64) (*Answer, error) {
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, picasso.Wrap(picasso.EINTERNAL, err, "Internal error")
		}
		// GetBody lets the transport resend the body on a kept-alive
		// connection that turned out closed, as http.NewRequest arranges.
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		req.Body, _ = req.GetBody()
		req.ContentLength = int64(len(b))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, TransportError(req.Context(), err, MsgTimeout)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, TransportError(req.Context(), err, MsgTimeout)
	}
	return &Answer{Status: resp.StatusCode, Body: body}, nil
}
