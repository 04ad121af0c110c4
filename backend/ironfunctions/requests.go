package ironfunctions

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"

	"github.com/picasso-faas/picasso"
)

// maxManagementBody bounds a management response (a long route list).
const maxManagementBody = 32 << 20

type appRequest struct {
	App appBody `json:"app"`
}

type appBody struct {
	Name   string            `json:"name,omitempty"`
	Config map[string]string `json:"config,omitempty"`
}

type routeRequest struct {
	Route routeBody `json:"route"`
}

// routeBody serves both create and PATCH: IronFunctions ignores zero
// values on PATCH, so omitting them changes nothing. jwt_key is never
// sent: Picasso does not use route JWTs.
type routeBody struct {
	Path           string              `json:"path,omitempty"`
	Image          string              `json:"image,omitempty"`
	Memory         int                 `json:"memory,omitempty"`
	Type           string              `json:"type,omitempty"`
	Format         string              `json:"format,omitempty"`
	MaxConcurrency int                 `json:"max_concurrency,omitempty"`
	Timeout        int                 `json:"timeout,omitempty"`
	Headers        map[string][]string `json:"headers,omitempty"`
	Config         map[string]string   `json:"config,omitempty"`
}

// newRequest builds a request for an already built URL, sparing a parse.
func newRequest(ctx context.Context, method string, u *url.URL, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, "", body)
	if err != nil {
		return nil, picasso.Wrap(picasso.EINVALID, err, "Invalid request method")
	}
	req.URL = u
	req.Host = u.Host
	return req, nil
}

// do runs one management call under the client's timeout and decodes a
// 200 answer into out (when not nil).
func (c *Client) do(ctx context.Context, op, method string, u *url.URL, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return picasso.Wrap(picasso.EINTERNAL, err, "Internal error")
		}
		body = bytes.NewReader(b)
	}
	req, err := newRequest(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return transportError(ctx, err, msgTimeout)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxManagementBody))
	if err != nil {
		return transportError(ctx, err, msgTimeout)
	}
	if resp.StatusCode != http.StatusOK {
		return statusError(op, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return invalidResponse(err)
		}
	}
	return nil
}
