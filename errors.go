package picasso

import (
	"errors"
	"fmt"
)

// ErrRouteMissing is in the chain of a backend's error when a call names
// a route the backend does not hold although the store does: drift, or a
// create or delete of the route in progress on some replica (the store is
// written first, the backend second).
var ErrRouteMissing = errors.New("route missing on the backend")

// Code classifies an error; the HTTP layer maps each code to one status.
type Code string

const (
	EINVALID         Code = "invalid"         // the request is malformed (400)
	EUNAUTHENTICATED Code = "unauthenticated" // no or bad credentials (401)
	EBADSIGNATURE    Code = "bad_signature"   // a signed request's signature is missing, stale, replayed or wrong (401, no Keystone challenge)
	EFORBIDDEN       Code = "forbidden"       // credentials lack the right (403)
	EQUOTA           Code = "quota_exceeded"  // a create would go beyond a project's count limit (403)
	ENOTFOUND        Code = "not_found"       // no such resource visible to the caller (404)
	EBADMETHOD       Code = "bad_method"      // the resource does not answer this HTTP method (405)
	ECONFLICT        Code = "conflict"        // clashes with existing state (409)
	ETOOLARGE        Code = "too_large"       // body over the limit (413)
	EBADMEDIA        Code = "bad_media"       // the body's media type is not accepted (415)
	ETOOMANY         Code = "too_many"        // a per-project cap is reached; retry later (429)
	EBADGATEWAY      Code = "bad_gateway"     // backend unreachable, reset, or function failed (502)
	EUNAVAILABLE     Code = "unavailable"     // a dependency is down or overloaded (503)
	ETIMEOUT         Code = "timeout"         // the function or backend ran past its deadline (504)
	EINTERNAL        Code = "internal"        // a bug or an unexpected failure (500)
)

// Error is an error with a code and a message that is safe to show to the
// caller. Err keeps the underlying cause for logs; it is never shown.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted, client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with the code and message that keeps cause for logs.
func Wrap(code Code, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: cause}
}

// ErrorCode returns the code of err, EINTERNAL when it carries none.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err; errors without one
// get a generic text so that internal details never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error"
}

// IsCode reports whether err carries the code.
func IsCode(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
