package openapi

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// describe turns a kin-openapi schema error into one clean line, such as
// `field "route.memory" must be an integer` or `unknown field "app.foo"`.
// It uses the failing schema keyword and the schema's own limits rather
// than kin-openapi's text, which spans lines and embeds the schema.
func describe(e *openapi3.SchemaError) string {
	if e == nil || e.Schema == nil {
		return "does not match the schema"
	}
	path := e.JSONPointer()
	s := e.Schema
	switch e.SchemaField {
	case "properties":
		// kin-openapi reports an unsupported property at its parent object
		// and names it only in the free-text reason.
		if key, ok := unknownKey(s, e.Value); ok {
			return fmt.Sprintf("unknown field %q", fieldName(append(path, key)))
		}
	case "required":
		return fmt.Sprintf("missing required field %q", fieldName(path))
	}
	if len(path) == 0 && (e.SchemaField == "type" || e.SchemaField == "nullable") {
		return "must be a JSON object"
	}
	return fmt.Sprintf("field %q %s", fieldName(path), requirement(e.SchemaField, s, e.Reason))
}

// requirement says what the schema wanted, for the keyword that failed.
func requirement(keyword string, s *openapi3.Schema, reason string) string {
	switch keyword {
	case "type", "nullable":
		return "must be " + typeNoun(s)
	case "enum":
		return "must be " + expectation(s)
	case "oneOf", "anyOf":
		alternatives := s.OneOf
		if keyword == "anyOf" {
			alternatives = s.AnyOf
		}
		parts := make([]string, 0, len(alternatives))
		for _, alt := range alternatives {
			parts = append(parts, expectation(alt.Value))
		}
		return "must be " + strings.Join(parts, " or ")
	case "minimum", "maximum":
		switch {
		case s.Min != nil && s.Max != nil:
			return fmt.Sprintf("must be between %s and %s", number(*s.Min), number(*s.Max))
		case s.Min != nil:
			return "must be at least " + number(*s.Min)
		case s.Max != nil:
			return "must be at most " + number(*s.Max)
		}
	case "minLength", "maxLength":
		return "must be " + bounds(s.MinLength, s.MaxLength, "characters long")
	case "minProperties", "maxProperties":
		return "must have " + bounds(s.MinProps, s.MaxProps, "entries")
	case "minItems", "maxItems":
		return "must have " + bounds(s.MinItems, s.MaxItems, "items")
	case "pattern":
		return fmt.Sprintf("must match the pattern %q", s.Pattern)
	}
	// kin-openapi promises that reasons never quote the rejected value.
	return "is invalid: " + reason
}

// expectation describes the values a schema accepts, for use after "must be".
func expectation(s *openapi3.Schema) string {
	if len(s.Enum) == 0 {
		return typeNoun(s)
	}
	values := make([]string, 0, len(s.Enum))
	for _, v := range s.Enum {
		encoded, err := json.Marshal(v)
		if err != nil {
			encoded = []byte(fmt.Sprint(v))
		}
		values = append(values, string(encoded))
	}
	if len(values) == 1 {
		return values[0]
	}
	return "one of " + strings.Join(values, ", ")
}

func typeNoun(s *openapi3.Schema) string {
	if s.Type == nil || s.Type.IsEmpty() {
		return "a valid value"
	}
	nouns := make([]string, 0, len(s.Type.Slice()))
	for _, t := range s.Type.Slice() {
		switch t {
		case "integer", "object", "array":
			nouns = append(nouns, "an "+t)
		case "null":
			nouns = append(nouns, "null")
		default:
			nouns = append(nouns, "a "+t)
		}
	}
	return strings.Join(nouns, " or ")
}

func bounds(minimum uint64, maximum *uint64, unit string) string {
	switch {
	case maximum != nil && minimum > 0:
		return fmt.Sprintf("%d to %d %s", minimum, *maximum, unit)
	case maximum != nil:
		return fmt.Sprintf("at most %d %s", *maximum, unit)
	default:
		return fmt.Sprintf("at least %d %s", minimum, unit)
	}
}

func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// unknownKey returns the first key, in sorted order as kin-openapi visits
// them, of an object value that the schema does not declare.
func unknownKey(s *openapi3.Schema, value any) (string, bool) {
	object, ok := value.(map[string]any)
	if !ok {
		return "", false
	}
	keys := make([]string, 0, len(object))
	for k := range object {
		if _, declared := s.Properties[k]; !declared {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "", false
	}
	return slices.Min(keys), true
}

// fieldName joins a JSON pointer into the dotted form of the messages,
// e.g. "route.config.KEY".
func fieldName(path []string) string { return strings.Join(path, ".") }
