package store

import (
	"encoding/json"

	"github.com/picasso-faas/picasso"
)

// marshalJSON encodes a map column; an empty or nil map is "{}", never
// NULL, so that readers of the table need no special case. Maps of
// strings always encode, hence no error.
func marshalJSON[V string | []string](m map[string]V) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// unmarshalJSON decodes a map column written by marshalJSON.
func unmarshalJSON[V string | []string](s string, m *map[string]V) error {
	if err := json.Unmarshal([]byte(s), m); err != nil {
		return picasso.Wrap(picasso.EINTERNAL, err, "Corrupt map in the database")
	}
	return nil
}
