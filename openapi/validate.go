package openapi

import (
	"errors"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/picasso-faas/picasso"
)

// bodySchemas maps the operationId of every operation with a JSON request
// body to that body's schema, so that a request costs one map lookup.
var bodySchemas = collectBodySchemas()

func collectBodySchemas() map[string]*openapi3.Schema {
	schemas := make(map[string]*openapi3.Schema)
	for _, item := range document.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			// Not Content.Get: it falls back to "*/*", which marks the
			// function invocations' opaque bodies.
			media := op.RequestBody.Value.Content["application/json"]
			if media == nil || media.Schema == nil {
				continue
			}
			schemas[op.OperationID] = media.Schema.Value
		}
	}
	return schemas
}

// ValidateBody checks a decoded JSON request body against the request body
// schema of the operation named by operationID.
//
// body is what encoding/json produced when decoding into an `any`: maps,
// slices, strings, booleans, nil, and numbers as either float64 or, when
// the decoder had UseNumber set, json.Number. Both work; UseNumber is
// preferred because it keeps large integers exact.
//
// A body that does not match returns a *picasso.Error with code EINVALID
// and a one-line message naming the first offending field, e.g.
// `Invalid request body: field "route.memory" must be an integer`. An
// operationID without a JSON body schema is a programming error (EINTERNAL).
func ValidateBody(operationID string, body any) error {
	schema, ok := bodySchemas[operationID]
	if !ok {
		return picasso.Errorf(picasso.EINTERNAL, "No JSON request body schema for operation %q", operationID)
	}
	err := schema.VisitJSON(body)
	if err == nil {
		return nil
	}
	return picasso.Errorf(picasso.EINVALID, "Invalid request body: %s", describe(firstSchemaError(err)))
}

// firstSchemaError digs the first *SchemaError out of what VisitJSON
// returned; nil when there is none (describe then gives a generic text).
// The outermost one is wanted: a failed oneOf wraps the errors of each of
// its alternatives, and the oneOf itself says what the field should be.
func firstSchemaError(err error) *openapi3.SchemaError {
	if multi, ok := err.(openapi3.MultiError); ok && len(multi) > 0 {
		return firstSchemaError(multi[0])
	}
	var schemaErr *openapi3.SchemaError
	if errors.As(err, &schemaErr) {
		return schemaErr
	}
	return nil
}
