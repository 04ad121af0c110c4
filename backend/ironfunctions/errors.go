package ironfunctions

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/driver"
)

// Messages of IronFunctions' own failures; the ones every driver shares
// are in the driver package.
const (
	msgAppNotFound   = "App not found"
	validationPrefix = "validation failure list:\n"
)

// maxErrorBody is how much of an error response is kept for logs.
const maxErrorBody = 4 << 10

// backendMessage extracts {"error":{"message":...}}; ok is false for any
// other shape (the bare "Not Found" string, the service-JWT error, HTML
// from a proxy).
func backendMessage(body []byte) (msg string, ok bool) {
	var e struct {
		Error struct {
			Message *string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Message == nil {
		return "", false
	}
	return *e.Error.Message, true
}

// cleanValidation strips the "validation failure list:" wrappers (one for
// apps, two for routes) and joins the remaining messages.
func cleanValidation(msg string) (clean string, wrapped bool) {
	for strings.HasPrefix(msg, validationPrefix) {
		msg = strings.TrimPrefix(msg, validationPrefix)
		wrapped = true
	}
	return strings.Join(strings.Split(strings.TrimSpace(msg), "\n"), "; "), wrapped
}

func isAppNameError(msg string) bool {
	return strings.HasPrefix(msg, "Invalid app name") || strings.HasPrefix(msg, "App name must be") ||
		strings.HasPrefix(msg, "Missing app name")
}

// statusError maps a failed management call. IronFunctions' statuses lie
// in places: 500 for bad app names and for deleting an unknown app, 400
// for deleting an app that still has routes.
func statusError(op string, status int, body []byte) error {
	cause := fmt.Errorf("ironfunctions: %s: HTTP %d: %s", op, status, truncate(body))
	msg, ok := backendMessage(body)
	clean, wrapped := cleanValidation(msg)
	switch {
	case !ok:
		if status == http.StatusServiceUnavailable {
			return picasso.Wrap(picasso.EUNAVAILABLE, cause, driver.MsgUnavailable)
		}
		return picasso.Wrap(picasso.EBADGATEWAY, cause, driver.MsgUnexpected)
	case status == http.StatusNotFound && (msg == "App not found" || msg == "Route not found"):
		return picasso.Wrap(picasso.ENOTFOUND, cause, "%s", msg)
	case status == http.StatusConflict:
		return picasso.Wrap(picasso.ECONFLICT, cause, "%s", clean)
	case status == http.StatusBadRequest && msg == "Cannot remove apps with routes":
		return picasso.Wrap(picasso.ECONFLICT, cause, "%s", msg)
	case status == http.StatusBadRequest:
		return picasso.Wrap(picasso.EINVALID, cause, "%s", clean)
	case status == http.StatusInternalServerError && msg == "bucket not found":
		return picasso.Wrap(picasso.ENOTFOUND, cause, msgAppNotFound)
	case status == http.StatusInternalServerError && (wrapped || isAppNameError(clean)):
		return picasso.Wrap(picasso.EINVALID, cause, "%s", clean)
	case status == http.StatusServiceUnavailable:
		return picasso.Wrap(picasso.EUNAVAILABLE, cause, driver.MsgUnavailable)
	}
	return picasso.Wrap(picasso.EBADGATEWAY, cause, driver.MsgUnexpected)
}

// invokeError maps a failed /r/ call. A 404 means the backend lost a
// route the store has: drift, not the caller's fault.
func invokeError(status int, body []byte) error {
	cause := fmt.Errorf("ironfunctions: invoke: HTTP %d: %s", status, truncate(body))
	switch status {
	case http.StatusGatewayTimeout:
		return picasso.Wrap(picasso.ETIMEOUT, cause, driver.MsgFnTimeout)
	case http.StatusInternalServerError:
		return picasso.Wrap(picasso.EBADGATEWAY, cause, driver.MsgFnFailed)
	case http.StatusNotFound:
		return driver.RouteMissing(cause)
	case http.StatusServiceUnavailable:
		return picasso.Wrap(picasso.EUNAVAILABLE, cause, driver.MsgUnavailable)
	}
	return picasso.Wrap(picasso.EBADGATEWAY, cause, driver.MsgUnexpected)
}

func truncate(b []byte) string {
	const max = 512
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
