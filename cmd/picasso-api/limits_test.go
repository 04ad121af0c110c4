package main

import (
	"strings"
	"testing"
)

// TestDefaultLimitsInNoAuthMode: without Keystone, --default-limits are
// every project's limits, enforced and shown.
func TestDefaultLimitsInNoAuthMode(t *testing.T) {
	s := start(t, nil, append(devArgs(t), "--default-limits", "function_apps=1,function_rate=7")...)
	p := "/v1/" + project
	if status, _, body := s.request(t, "POST", p+"/apps", `{"app":{"name":"one"}}`); status != 200 {
		t.Fatalf("first app: %d %s", status, body)
	}
	status, _, body := s.request(t, "POST", p+"/apps", `{"app":{"name":"two"}}`)
	if status != 403 || !strings.Contains(body, "Quota exceeded for function_apps: requested 1, but already used 1 of 1") {
		t.Errorf("second app: %d %s, want 403 naming the quota", status, body)
	}
	status, _, body = s.request(t, "GET", p+"/limits", "")
	for _, want := range []string{`"function_apps":{"limit":1,"used":1}`, `"function_rate":{"limit":7}`, `"function_routes":{"limit":1000,"used":0}`} {
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("limits: %d %s, want %s", status, body, want)
		}
	}
}
