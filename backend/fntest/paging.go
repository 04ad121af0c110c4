package fntest

import (
	"cmp"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
)

// Paging limits of Fn's list endpoints.
const (
	defaultPerPage = 30
	maxPerPage     = 100
)

type listResponse[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// writePage answers a list request with one page of items ordered by name,
// Fn style: per_page ≤ 0 or absent means 30, > 100 means 100; the cursor is
// the base64 of the last name served and is given only when the page is full.
func writePage[T any](w http.ResponseWriter, r *http.Request, items []T, name func(T) string) {
	q := r.URL.Query()
	perPage, err := strconv.Atoi(q.Get("per_page"))
	switch {
	case err != nil || perPage <= 0:
		perPage = defaultPerPage
	case perPage > maxPerPage:
		perPage = maxPerPage
	}
	slices.SortFunc(items, func(a, b T) int { return cmp.Compare(name(a), name(b)) })
	if cursor := q.Get("cursor"); cursor != "" {
		after, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil {
			writeError(w, http.StatusBadRequest, "Invalid cursor")
			return
		}
		start, _ := slices.BinarySearchFunc(items, string(after), func(item T, target string) int {
			if name(item) <= target {
				return -1
			}
			return 1
		})
		items = items[start:]
	}
	resp := listResponse[T]{Items: items}
	if len(items) >= perPage {
		resp.Items = items[:perPage]
		resp.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(name(items[perPage-1])))
	}
	if resp.Items == nil {
		resp.Items = []T{}
	}
	writeJSON(w, http.StatusOK, resp)
}
