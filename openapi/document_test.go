package openapi

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func TestEmbeddedDocumentIsValid(t *testing.T) {
	doc, err := load(documentYAML)
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.0.3" || doc.Info.Title != "Picasso API" || doc.Info.Version != "v1" {
		t.Errorf("openapi %q, title %q, version %q; want 3.0.3, Picasso API, v1", doc.OpenAPI, doc.Info.Title, doc.Info.Version)
	}
}

func TestJSONIsTheSameValidDocument(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(JSON())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := len(doc.Paths.Map()), len(Document().Paths.Map()); got != want {
		t.Errorf("JSON has %d paths, the YAML %d", got, want)
	}
	if doc.Components.SecuritySchemes["keystoneToken"] == nil {
		t.Error("JSON lost the security scheme")
	}
}

// The gateway names these operations; renaming one breaks it.
func TestPathsListsTheAPI(t *testing.T) {
	want := []PathOp{
		{"GET", "/", "versions"},
		{"GET", "/api", "swaggerUI"},
		{"GET", "/api/swagger.json", "swaggerJSON"},
		{"GET", "/healthz", "health"},
		{"GET", "/metrics", "metrics"},
		{"GET", "/openapi.json", "openapiJSON"},
		{"DELETE", "/r/{app}/{route}", "invokePublicDelete"},
		{"GET", "/r/{app}/{route}", "invokePublicGet"},
		{"PATCH", "/r/{app}/{route}", "invokePublicPatch"},
		{"POST", "/r/{app}/{route}", "invokePublic"},
		{"PUT", "/r/{app}/{route}", "invokePublicPut"},
		{"DELETE", "/r/{project_id}/{app}/{route}", "invokePrivateDelete"},
		{"GET", "/r/{project_id}/{app}/{route}", "invokePrivateGet"},
		{"PATCH", "/r/{project_id}/{app}/{route}", "invokePrivatePatch"},
		{"POST", "/r/{project_id}/{app}/{route}", "invokePrivate"},
		{"PUT", "/r/{project_id}/{app}/{route}", "invokePrivatePut"},
		{"GET", "/readyz", "ready"},
		{"POST", "/v1/r/{project_id}/{app}/{route}", "invokePrivateV1"},
		{"GET", "/v1/{project_id}/apps", "listApps"},
		{"POST", "/v1/{project_id}/apps", "createApp"},
		{"DELETE", "/v1/{project_id}/apps/{app}", "deleteApp"},
		{"GET", "/v1/{project_id}/apps/{app}", "getApp"},
		{"PUT", "/v1/{project_id}/apps/{app}", "updateApp"},
		{"GET", "/v1/{project_id}/apps/{app}/routes", "listRoutes"},
		{"POST", "/v1/{project_id}/apps/{app}/routes", "createRoute"},
		{"DELETE", "/v1/{project_id}/apps/{app}/routes/{route}", "deleteRoute"},
		{"GET", "/v1/{project_id}/apps/{app}/routes/{route}", "getRoute"},
		{"PUT", "/v1/{project_id}/apps/{app}/routes/{route}", "updateRoute"},
		{"GET", "/v1/{project_id}/apps/{app}/routes/{route}/webhooks", "listWebhooks"},
		{"POST", "/v1/{project_id}/apps/{app}/routes/{route}/webhooks", "createWebhook"},
		{"DELETE", "/v1/{project_id}/apps/{app}/routes/{route}/webhooks/{webhook_id}", "deleteWebhook"},
		{"GET", "/v1/{project_id}/apps/{app}/routes/{route}/webhooks/{webhook_id}", "getWebhook"},
		{"PUT", "/v1/{project_id}/apps/{app}/routes/{route}/webhooks/{webhook_id}", "updateWebhook"},
		{"POST", "/v1/{project_id}/apps/{app}/routes/{route}/webhooks/{webhook_id}/rotate", "rotateWebhook"},
		{"GET", "/v1/{project_id}/callback_key", "getCallbackKey"},
		{"GET", "/v1/{project_id}/calls", "listCalls"},
		{"DELETE", "/v1/{project_id}/calls/{call_id}", "cancelCall"},
		{"GET", "/v1/{project_id}/calls/{call_id}", "getCall"},
		{"POST", "/v1/{project_id}/calls/{call_id}/retry", "retryCall"},
		{"GET", "/v1/{project_id}/limits", "getLimits"},
		{"GET", "/v1/{project_id}/schedules", "listSchedules"},
		{"POST", "/v1/{project_id}/schedules", "createSchedule"},
		{"DELETE", "/v1/{project_id}/schedules/{schedule_id}", "deleteSchedule"},
		{"GET", "/v1/{project_id}/schedules/{schedule_id}", "getSchedule"},
		{"PUT", "/v1/{project_id}/schedules/{schedule_id}", "updateSchedule"},
		{"GET", "/v1/{project_id}/triggers", "listTriggers"},
		{"POST", "/v1/{project_id}/triggers", "createTrigger"},
		{"DELETE", "/v1/{project_id}/triggers/{trigger_id}", "deleteTrigger"},
		{"GET", "/v1/{project_id}/triggers/{trigger_id}", "getTrigger"},
		{"PUT", "/v1/{project_id}/triggers/{trigger_id}", "updateTrigger"},
		{"POST", "/webhooks/{token}", "invokeWebhook"},
	}
	if got := Paths(); !slices.Equal(got, want) {
		t.Errorf("Paths() =\n%v\nwant\n%v", got, want)
	}
}

func TestEveryOperationDocumentsItsErrors(t *testing.T) {
	errorSchema := Document().Components.Schemas["Error"].Value
	for _, p := range Paths() {
		op := operation(p)
		if op.OperationID == "" {
			t.Errorf("%s %s has no operationId", p.Method, p.Path)
		}
		var withEnvelope, clientErrors int
		for status, resp := range op.Responses.Map() {
			media := resp.Value.Content.Get("application/json")
			// "default" sorts after the numeric codes, so it counts as an error.
			if status < "400" || media == nil || media.Schema.Value != errorSchema {
				continue
			}
			withEnvelope++
			if strings.HasPrefix(status, "4") {
				clientErrors++
			}
		}
		if withEnvelope == 0 {
			t.Errorf("%s: no error response uses the error envelope", p.OperationID)
		}
		// Operations without input (no parameters, no body) have no way to
		// be called wrongly; all others must document a client error.
		takesInput := len(op.Parameters)+len(pathItem(p).Parameters) > 0 || op.RequestBody != nil
		if takesInput && clientErrors == 0 {
			t.Errorf("%s: no 4xx response with the error envelope", p.OperationID)
		}
	}
}

func TestTokenIsRequiredExactlyOutsidePublicPaths(t *testing.T) {
	scheme := Document().Components.SecuritySchemes["keystoneToken"].Value
	if scheme.Type != "apiKey" || scheme.In != "header" || scheme.Name != "X-Auth-Token" {
		t.Errorf("security scheme = %s in %s named %s; want apiKey in header X-Auth-Token", scheme.Type, scheme.In, scheme.Name)
	}
	for _, p := range Paths() {
		requirements := Document().Security
		if op := operation(p); op.Security != nil {
			requirements = *op.Security
		}
		needsToken := slices.ContainsFunc(requirements, func(r openapi3.SecurityRequirement) bool {
			_, ok := r["keystoneToken"]
			return ok
		})
		private := strings.HasPrefix(p.Path, "/v1/") || strings.HasPrefix(p.Path, "/r/{project_id}/")
		if needsToken != private {
			t.Errorf("%s %s: token required = %v, want %v", p.Method, p.Path, needsToken, private)
		}
		if !private && len(requirements) != 0 {
			t.Errorf("%s %s: public operation has security requirements %v", p.Method, p.Path, requirements)
		}
	}
}

func TestRequestBodiesRejectUnknownFields(t *testing.T) {
	for id, schema := range bodySchemas {
		assertClosedObjects(t, id, schema)
	}
	for _, id := range []string{"createApp", "updateApp", "createRoute", "updateRoute",
		"createWebhook", "updateWebhook", "rotateWebhook", "createTrigger", "updateTrigger"} {
		if bodySchemas[id] == nil {
			t.Errorf("%s has no JSON request body schema", id)
		}
	}
}

func assertClosedObjects(t *testing.T, where string, s *openapi3.Schema) {
	t.Helper()
	if len(s.Properties) == 0 {
		return
	}
	if has := s.AdditionalProperties.Has; has == nil || *has {
		t.Errorf("%s: object schema does not set additionalProperties: false", where)
	}
	for name, prop := range s.Properties {
		assertClosedObjects(t, where+"."+name, prop.Value)
	}
}

func TestRouteParameterSaysItMayContainSlashes(t *testing.T) {
	param := Document().Components.Parameters["Route"].Value
	if !strings.Contains(param.Description, "MAY CONTAIN SLASHES") {
		t.Errorf("route parameter description %q does not warn about slashes", param.Description)
	}
}

func pathItem(p PathOp) *openapi3.PathItem { return Document().Paths.Value(p.Path) }

func operation(p PathOp) *openapi3.Operation { return pathItem(p).GetOperation(p.Method) }
