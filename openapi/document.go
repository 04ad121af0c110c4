package openapi

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed openapi.yaml
var documentYAML []byte

var (
	document     = mustLoad(documentYAML)
	documentJSON = mustMarshal(document)
)

// Document returns the API description, loaded and validated once. It is
// shared: callers must not modify it.
func Document() *openapi3.T { return document }

// JSON returns the document serialized as JSON, as served at
// /api/swagger.json and /openapi.json. It is shared: callers must not
// modify it.
func JSON() []byte { return documentJSON }

func mustLoad(data []byte) *openapi3.T {
	doc, err := load(data)
	if err != nil {
		panic(err)
	}
	return doc
}

func load(data []byte) (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("openapi: load embedded document: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi: embedded document is invalid: %w", err)
	}
	return doc, nil
}

func mustMarshal(doc *openapi3.T) []byte {
	data, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Errorf("openapi: serialize document: %w", err))
	}
	return data
}
