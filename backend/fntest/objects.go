package fntest

import (
	"encoding/json"
	"maps"
	"strings"
	"time"
	"unicode"
)

// The JSON shapes Fn returns. Pointers to maps are avoided: Fn always
// renders config as an object and omits empty annotations.
type app struct {
	ID          string                     `json:"id"`
	Name        string                     `json:"name"`
	Config      map[string]string          `json:"config"`
	Annotations map[string]json.RawMessage `json:"annotations,omitempty"`
	SyslogURL   string                     `json:"syslog_url,omitempty"`
	CreatedAt   string                     `json:"created_at"`
	UpdatedAt   string                     `json:"updated_at"`
}

type fn struct {
	ID          string                     `json:"id"`
	Name        string                     `json:"name"`
	AppID       string                     `json:"app_id"`
	Image       string                     `json:"image"`
	Memory      int                        `json:"memory"`
	Timeout     int                        `json:"timeout"`
	IdleTimeout int                        `json:"idle_timeout"`
	Config      map[string]string          `json:"config"`
	Annotations map[string]json.RawMessage `json:"annotations,omitempty"`
	CreatedAt   string                     `json:"created_at"`
	UpdatedAt   string                     `json:"updated_at"`
}

type trigger struct {
	ID          string                     `json:"id"`
	Name        string                     `json:"name"`
	AppID       string                     `json:"app_id"`
	FnID        string                     `json:"fn_id"`
	Type        string                     `json:"type"`
	Source      string                     `json:"source"`
	Annotations map[string]json.RawMessage `json:"annotations,omitempty"`
	CreatedAt   string                     `json:"created_at"`
	UpdatedAt   string                     `json:"updated_at"`
}

// Limits of Fn's models (api/models/fn.go).
const (
	maxNameLength  = 255
	maxMemory      = 8192
	maxTimeout     = 300
	maxIdleTimeout = 3600
	defaultMemory  = 128
	defaultTimeout = 30
	defaultIdle    = 30
)

// validName applies Fn's rule for app, fn and trigger names: Unicode
// letters, digits, '_' and '-'.
func validName(name string) bool {
	for _, c := range name {
		if !unicode.IsLetter(c) && !unicode.IsNumber(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// timestamp renders t as Fn does: RFC 3339 in UTC with milliseconds.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// mergeConfig applies Fn's PUT rule to a config: "" deletes a key.
func mergeConfig(dst, patch map[string]string) map[string]string {
	out := maps.Clone(dst)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range patch {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// mergeAnnotations applies a PUT to annotations; an empty JSON value
// ("" or null) deletes the key, as in Fn's Annotations.MergeChange.
func mergeAnnotations(dst, patch map[string]json.RawMessage) map[string]json.RawMessage {
	out := maps.Clone(dst)
	if out == nil {
		out = map[string]json.RawMessage{}
	}
	for k, v := range patch {
		if emptyAnnotation(v) {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func emptyAnnotation(v json.RawMessage) bool {
	s := string(v)
	return s == `""` || s == "null"
}

// Annotation limits of Fn (api/models/annotations.go).
const (
	maxAnnotationKeyBytes   = 128
	maxAnnotationValueBytes = 512
	maxAnnotationKeys       = 100
)

// applyAnnotations merges patch into old and checks both with Fn's
// messages; on create (old nil, creating true) an empty value is an error
// rather than a delete.
func applyAnnotations(old, patch map[string]json.RawMessage, creating bool) (map[string]json.RawMessage, string) {
	for k, v := range patch {
		switch {
		case creating && emptyAnnotation(v):
			return nil, "Invalid annotation value, annotation values may only be non-empty strings, numbers, objects, or arrays"
		case k == "" || strings.ContainsFunc(k, func(c rune) bool { return c < '!' || c > '~' }):
			return nil, "Invalid annotation key, annotation keys must be non-empty ascii strings excluding whitespace"
		case len(k) > maxAnnotationKeyBytes:
			return nil, "Invalid annotation key length, annotation keys may not be larger than 128 bytes"
		case len(v) > maxAnnotationValueBytes:
			return nil, "Invalid annotation value length, annotation values may not be larger than 512 bytes when serialized as JSON"
		}
	}
	result := mergeAnnotations(old, patch)
	if len(result) > maxAnnotationKeys {
		return nil, "Invalid annotation change, new key(s) exceed maximum permitted number of annotations keys (100)"
	}
	return result, ""
}

// withAnnotation returns a copy of annotations plus one server annotation,
// which Fn computes on reads rather than stores.
func withAnnotation(annotations map[string]json.RawMessage, key, value string) map[string]json.RawMessage {
	out := maps.Clone(annotations)
	if out == nil {
		out = map[string]json.RawMessage{}
	}
	out[key], _ = json.Marshal(value)
	return out
}
