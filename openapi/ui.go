package openapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"sync"

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

// UIContentSecurityPolicy is the Content-Security-Policy of the UI's
// pages and assets: everything from this origin only, and of the page's
// inline scripts and styles exactly those swgui renders (by their hashes),
// so that nothing injected into the page could run.
func UIContentSecurityPolicy() string {
	uiPolicyOnce.Do(func() {
		page := renderUIPage()
		uiPolicy = "default-src 'none'; script-src 'self'" + inlineHashes(inlineScript, page) +
			"; style-src 'self'" + inlineHashes(inlineStyle, page) +
			"; img-src 'self' data:; font-src 'self' data:; connect-src 'self'" +
			"; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
	})
	return uiPolicy
}

var (
	uiPolicyOnce sync.Once
	uiPolicy     string
	inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
	inlineStyle  = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
)

func inlineHashes(element *regexp.Regexp, page string) string {
	var b strings.Builder
	for _, m := range element.FindAllStringSubmatch(page, -1) {
		sum := sha256.Sum256([]byte(m[1]))
		b.WriteString(" 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'")
	}
	return b.String()
}

// renderUIPage returns the UI's HTML page as the handler serves it.
func renderUIPage() string {
	var page pageRecorder
	req, _ := http.NewRequest(http.MethodGet, UIPath+"/", nil)
	UIHandler("/api/swagger.json").ServeHTTP(&page, req)
	return page.body.String()
}

type pageRecorder struct {
	header http.Header
	body   bytes.Buffer
}

func (p *pageRecorder) Header() http.Header {
	if p.header == nil {
		p.header = http.Header{}
	}
	return p.header
}
func (p *pageRecorder) Write(b []byte) (int, error) { return p.body.Write(b) }
func (p *pageRecorder) WriteHeader(int)             {}
