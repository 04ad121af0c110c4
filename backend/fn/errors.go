package fn

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/driver"
)

// apiError is an error answer of Fn, kept as the hidden cause of the
// *picasso.Error the driver returns: it names the backend URL, which
// clients must not see.
type apiError struct {
	Method  string
	URL     string
	Status  int
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("fn: %s %s: %d %s", e.Method, e.URL, e.Status, e.Message)
}

// newAPIError reads Fn's flat {"message": ...} body; a body of another
// shape (a proxy's page, say) is kept verbatim, shortened, for the logs.
func newAPIError(method string, u *url.URL, status int, body []byte) *apiError {
	e := &apiError{Method: method, URL: u.Redacted(), Status: status}
	var flat struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &flat) == nil && flat.Message != "" {
		e.Message = flat.Message
	} else {
		const maxRaw = 200
		if len(body) > maxRaw {
			body = body[:maxRaw]
		}
		e.Message = fmt.Sprintf("%q", body)
	}
	return e
}

// statusError maps an Fn error answer to Picasso's codes. Fn's 400, 404
// and 409 messages describe the request and are safe to show; the others
// get a fixed message.
func statusError(e *apiError) *picasso.Error {
	switch e.Status {
	case http.StatusBadRequest:
		return picasso.Wrap(picasso.EINVALID, e, "%s", e.Message)
	case http.StatusNotFound:
		return picasso.Wrap(picasso.ENOTFOUND, e, "%s", e.Message)
	case http.StatusConflict:
		return picasso.Wrap(picasso.ECONFLICT, e, "%s", e.Message)
	case http.StatusRequestEntityTooLarge:
		return picasso.Wrap(picasso.ETOOLARGE, e, "Request body too large for the function backend")
	case http.StatusBadGateway:
		return picasso.Wrap(picasso.EBADGATEWAY, e, driver.MsgFnFailed)
	case http.StatusGatewayTimeout:
		return picasso.Wrap(picasso.ETIMEOUT, e, driver.MsgFnTimeout)
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		return picasso.Wrap(picasso.EUNAVAILABLE, e, driver.MsgUnavailable)
	default:
		return picasso.Wrap(picasso.EBADGATEWAY, e, driver.MsgUnexpected)
	}
}

// isStatus reports whether err is an Fn answer with the status.
func isStatus(err error, status int) bool {
	var e *apiError
	return errors.As(err, &e) && e.Status == status
}

// fnMessage returns Fn's own message of err, "" when err is no Fn answer.
func fnMessage(err error) string {
	var e *apiError
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}
