package ironfunctions

import (
	"strings"
	"testing"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/driver"
)

func TestStatusError(t *testing.T) {
	for _, tc := range []struct {
		status   int
		body     string
		wantCode picasso.Code
		wantMsg  string
	}{
		{400, `{"error":{"message":"validation failure list:\nvalidation failure list:\nNegative timeout\nNegative idle timeout"}}`,
			picasso.EINVALID, "Negative timeout; Negative idle timeout"},
		{400, `{"error":{"message":"Missing new route"}}`, picasso.EINVALID, "Missing new route"},
		{400, `{"error":{"message":"Cannot remove apps with routes"}}`, picasso.ECONFLICT, "Cannot remove apps with routes"},
		{500, `{"error":{"message":"validation failure list:\nInvalid app name"}}`, picasso.EINVALID, "Invalid app name"},
		{500, `{"error":{"message":"Invalid app name"}}`, picasso.EINVALID, "Invalid app name"},
		{500, `{"error":{"message":"bucket not found"}}`, picasso.ENOTFOUND, "App not found"},
		{500, `{"error":{"message":"dial tcp 10.0.0.5:5432: connection refused"}}`, picasso.EBADGATEWAY, driver.MsgUnexpected},
		{404, `{"error":{"message":"App not found"}}`, picasso.ENOTFOUND, "App not found"},
		{404, `{"error":{"message":"Route not found"}}`, picasso.ENOTFOUND, "Route not found"},
		{404, `"Not Found"`, picasso.EBADGATEWAY, driver.MsgUnexpected},
		{409, `{"error":{"message":"App already exists"}}`, picasso.ECONFLICT, "App already exists"},
		{409, `{"error":{"message":"Route already exists"}}`, picasso.ECONFLICT, "Route already exists"},
		{401, `{"error":"Invalid API Authorization token."}`, picasso.EBADGATEWAY, driver.MsgUnexpected},
		{503, `<html>busy</html>`, picasso.EUNAVAILABLE, driver.MsgUnavailable},
		{502, `<html>proxy at http://10.0.0.5:8080</html>`, picasso.EBADGATEWAY, driver.MsgUnexpected},
	} {
		err := statusError("op", tc.status, []byte(tc.body))
		if picasso.ErrorCode(err) != tc.wantCode || picasso.ErrorMessage(err) != tc.wantMsg {
			t.Errorf("%d %s: got %s %q, want %s %q", tc.status, tc.body,
				picasso.ErrorCode(err), picasso.ErrorMessage(err), tc.wantCode, tc.wantMsg)
		}
		if !strings.Contains(err.Error(), tc.body) {
			t.Errorf("%d %s: the raw answer is lost for logs: %v", tc.status, tc.body, err)
		}
	}
}

func TestInvokeError(t *testing.T) {
	for status, want := range map[int]struct {
		code picasso.Code
		msg  string
	}{
		504: {picasso.ETIMEOUT, driver.MsgFnTimeout},
		500: {picasso.EBADGATEWAY, driver.MsgFnFailed},
		404: {picasso.EBADGATEWAY, driver.MsgRouteMissing},
		503: {picasso.EUNAVAILABLE, driver.MsgUnavailable},
		401: {picasso.EBADGATEWAY, driver.MsgUnexpected},
	} {
		err := invokeError(status, []byte(`{"request_id":"r","error":{"message":"exit code 3"}}`))
		if picasso.ErrorCode(err) != want.code || picasso.ErrorMessage(err) != want.msg {
			t.Errorf("%d: got %s %q, want %s %q", status, picasso.ErrorCode(err), picasso.ErrorMessage(err), want.code, want.msg)
		}
	}
}
