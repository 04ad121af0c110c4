package gateway

import (
	"net/http"
	"strconv"

	"github.com/picasso-faas/picasso"
)

// pageOf reads the limit and marker query parameters of a list request.
func pageOf(r *http.Request) (picasso.Page, error) {
	q := r.URL.Query()
	page := picasso.Page{Limit: picasso.DefaultPageSize, Marker: q.Get("marker")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > picasso.MaxPageSize {
			return page, picasso.Errorf(picasso.EINVALID, "Invalid limit %q: must be an integer from 1 to %d", s, picasso.MaxPageSize)
		}
		page.Limit = n
	}
	return page, nil
}

// nextMarker is the marker of the following page, or "" when the page
// was not full and so nothing can follow.
func nextMarker(page picasso.Page, count int, last string) string {
	if count < page.Limit {
		return ""
	}
	return last
}
