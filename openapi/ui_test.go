package openapi

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

const testSpecURL = "/api/swagger.json"

func serveUI(t *testing.T, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	UIHandler(testSpecURL).ServeHTTP(rec, req)
	return rec
}

// externalURL matches absolute and protocol-relative URLs that name a
// host, e.g. https://unpkg.com/... or //cdn.example.org/...
var externalURL = regexp.MustCompile(`(?i)(https?:)?//[a-z0-9]`)

// assetRef matches the page's references to scripts, styles and icons.
var assetRef = regexp.MustCompile(`(?:src|href)="([^"]+)"`)

func TestUIPageLoadsTheSpecWithoutInternet(t *testing.T) {
	for _, target := range []string{UIPath, UIPath + "/"} {
		rec := serveUI(t, target, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: status %d", target, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: Content-Type %q, want text/html", target, ct)
		}
		page := rec.Body.String()
		if !strings.Contains(page, `"swaggerJsonUrl":"`+testSpecURL+`"`) {
			t.Errorf("GET %s: page does not load the spec from %s", target, testSpecURL)
		}
		if found := externalURL.FindString(page); found != "" {
			t.Errorf("GET %s: page refers to an external host: %q", target, found)
		}
	}
}

func TestUIServesEveryAssetThePageUses(t *testing.T) {
	page := serveUI(t, UIPath, nil).Body.String()
	refs := assetRef.FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("page references %d assets, want the bundle, the preset and the stylesheet", len(refs))
	}
	wantType := map[string]string{".js": "javascript", ".css": "text/css", ".png": "image/png"}
	for _, ref := range refs {
		asset := ref[1]
		if !strings.HasPrefix(asset, UIPath+"/") {
			t.Errorf("asset %q is not served below %s", asset, UIPath)
			continue
		}
		rec := serveUI(t, asset, nil)
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s: status %d", asset, rec.Code)
			continue
		}
		if ct, want := rec.Header().Get("Content-Type"), wantType[path.Ext(asset)]; want == "" || !strings.Contains(ct, want) {
			t.Errorf("GET %s: Content-Type %q, want one containing %q", asset, ct, want)
		}
	}
}

func TestUIAssetsAreDecompressedUnlessTheClientAcceptsGzip(t *testing.T) {
	bundle := UIPath + "/swagger-ui-bundle.js"

	plain := serveUI(t, bundle, nil)
	if plain.Code != http.StatusOK || plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("GET %s without Accept-Encoding: status %d, Content-Encoding %q", bundle, plain.Code, plain.Header().Get("Content-Encoding"))
	}
	if !strings.Contains(plain.Body.String(), "SwaggerUIBundle") {
		t.Errorf("GET %s: body is not the Swagger UI bundle", bundle)
	}

	zipped := serveUI(t, bundle, http.Header{"Accept-Encoding": {"gzip"}})
	if zipped.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("GET %s with Accept-Encoding gzip: Content-Encoding %q", bundle, zipped.Header().Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if string(unzipped) != plain.Body.String() {
		t.Error("gzip-encoded bundle differs from the plain one")
	}
}

func TestUIUnknownAssetIsNotFound(t *testing.T) {
	if rec := serveUI(t, UIPath+"/no-such-file.js", nil); rec.Code != http.StatusNotFound {
		t.Errorf("status %d, want 404", rec.Code)
	}
}
