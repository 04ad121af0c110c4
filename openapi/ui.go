package openapi

import (
	"net/http"

	"github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5emb"
)

// UIPath is where the gateway mounts UIHandler: the page answers at
// UIPath and UIPath+"/", its assets below UIPath+"/".
const UIPath = "/api"

// UIHandler serves Swagger UI for the document at specURL (a path on this
// server such as "/api/swagger.json"). The page, scripts and styles are
// embedded in the binary, so the UI works without internet access. It
// expects the full request path (UIPath, UIPath+"/" or an asset below it);
// requests for other files under UIPath get 404, so the gateway must route
// UIPath+"/swagger.json" to the document before this handler.
func UIHandler(specURL string) http.Handler {
	return v5emb.NewHandlerWithConfig(swgui.Config{
		Title:       "Picasso API",
		SwaggerJSON: specURL,
		BasePath:    UIPath + "/",
		// The UI's "Try it out" sends requests straight from the browser;
		// swgui's proxy would turn this server into an open relay.
		Proxy: false,
	})
}
