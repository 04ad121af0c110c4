// Package openapi holds Picasso's OpenAPI 3.0 document and what the gateway
// derives from it: the JSON served to clients, the list of operations for
// the router cross-check, validation of JSON request bodies against the
// document's schemas, and a Swagger UI that works without internet access.
//
// The document is embedded in the binary and loaded once at start-up; an
// invalid document panics at init, which the package's tests rule out.
package openapi
