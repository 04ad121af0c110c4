package gateway_test

import (
	"encoding/json"
	"testing"

	"github.com/picasso-faas/picasso/gateway"
)

// The API's answers as the tests read them. Decoding into these fails
// the test with a message where a chain of map[string]any assertions
// would panic.

// The views are the gateway's own (export_test.go): what it encodes is
// decoded into the same types.
type (
	appJSON     = gateway.AppView
	routeJSON   = gateway.RouteView
	webhookJSON = gateway.WebhookView
)

// answer is any answer of the API: the fields of the one at hand are set.
type answer struct {
	Message    string        `json:"message"`
	App        *appJSON      `json:"app"`
	Apps       []appJSON     `json:"apps"`
	Route      *routeJSON    `json:"route"`
	Routes     []routeJSON   `json:"routes"`
	Webhook    *webhookJSON  `json:"webhook"`
	Webhooks   []webhookJSON `json:"webhooks"`
	NextMarker string        `json:"next_marker"`
	Result     string        `json:"result"`
	CallID     string        `json:"call_id"`
	Error      *struct {
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// decode reads the body as an answer of the API.
func (r *response) decode(t testing.TB) *answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal(r.Body, &a); err != nil {
		t.Fatalf("response is not a JSON answer: %v: %.300s", err, r.Body)
	}
	return &a
}

// app, route and webhook return the answer's object, failing the test
// when it has none.
func (a *answer) app(t testing.TB) *appJSON {
	t.Helper()
	if a.App == nil {
		t.Fatalf("answer has no app: %+v", a)
	}
	return a.App
}

func (a *answer) route(t testing.TB) *routeJSON {
	t.Helper()
	if a.Route == nil {
		t.Fatalf("answer has no route: %+v", a)
	}
	return a.Route
}

func (a *answer) webhook(t testing.TB) *webhookJSON {
	t.Helper()
	if a.Webhook == nil {
		t.Fatalf("answer has no webhook: %+v", a)
	}
	return a.Webhook
}

// fields returns the fields of the answer's object under key, for tests
// of which fields a view has.
func (r *response) fields(t testing.TB, key string) map[string]json.RawMessage {
	t.Helper()
	var top map[string]json.RawMessage
	var object map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &top); err != nil || json.Unmarshal(top[key], &object) != nil || object == nil {
		t.Fatalf("answer has no %q object: %.300s", key, r.Body)
	}
	return object
}
