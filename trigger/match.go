package trigger

import (
	"encoding/json"
	"strings"

	"github.com/picasso-faas/picasso"
)

// Matches reports whether a message with this event type (notification
// event_type, routing key or subject) and payload passes the filter.
func Matches(f *picasso.TriggerFilter, eventType string, payload any) bool {
	if len(f.EventTypes) > 0 {
		matched := false
		for _, pattern := range f.EventTypes {
			if picasso.GlobMatch(pattern, eventType) {
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
	}
	for path, want := range f.Payload {
		got, ok := field(payload, path)
		if !ok || !jsonEqual(got, want) {
			return false
		}
	}
	return true
}

// field follows a path of object keys separated by "/" into v.
func field(v any, path string) (any, bool) {
	for _, key := range strings.Split(path, "/") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[key]; !ok {
			return nil, false
		}
	}
	return v, true
}

// jsonEqual compares two decoded JSON scalars; numbers compare by value,
// whether they were decoded as json.Number or float64.
func jsonEqual(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	switch a.(type) {
	case string, bool, nil:
		return a == b
	}
	return false
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
