package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// fakeProjectID is the project of every token the fake Keystone issues.
const fakeProjectID = "0b5e1c7a9d2f4e6a8c0b1d3f5a7c9e2b"

// fakeKeystone stands in for Keystone when no real one is configured: it
// issues a token to any password login (201, X-Subject-Token, a catalog
// pointing at itself) and validates the tokens it issued (GET
// /v3/auth/tokens, 200 or 404), with the body shapes of docs/keystone.md,
// A3. It answers at once, so the uncached case shows Picasso's own cost of
// a validation round trip, not Keystone's 7–12 ms.
type fakeKeystone struct {
	mu     sync.Mutex
	tokens map[string]bool
}

func runFakeKeystone(ctx context.Context, stdout io.Writer) error {
	k := &fakeKeystone{tokens: map[string]bool{}}
	return serveHelper(ctx, k, stdout)
}

func (k *fakeKeystone) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case path == "/v3" && r.Method == http.MethodGet:
		writeKeystoneJSON(w, http.StatusOK, map[string]any{"version": map[string]any{
			"id": "v3.14", "status": "stable",
			"links": []map[string]string{{"rel": "self", "href": "http://" + r.Host + "/v3/"}},
		}})
	case path == "/v3/auth/tokens" && r.Method == http.MethodPost:
		k.issue(w, r)
	case path == "/v3/auth/tokens" && r.Method == http.MethodGet:
		k.validate(w, r)
	default:
		writeKeystoneError(w, http.StatusNotFound, "The resource could not be found.")
	}
}

func (k *fakeKeystone) issue(w http.ResponseWriter, r *http.Request) {
	var login struct {
		Auth struct {
			Identity struct {
				Methods []string `json:"methods"`
			} `json:"identity"`
		} `json:"auth"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&login); err != nil || len(login.Auth.Identity.Methods) == 0 {
		writeKeystoneError(w, http.StatusBadRequest, "Expecting to find identity in auth.")
		return
	}
	b := make([]byte, 32)
	rand.Read(b)
	token := hex.EncodeToString(b)
	k.mu.Lock()
	k.tokens[token] = true
	k.mu.Unlock()
	body := tokenBody(login.Auth.Identity.Methods)
	if _, noCatalog := r.URL.Query()["nocatalog"]; !noCatalog {
		body["catalog"] = []map[string]any{{
			"type": "identity", "name": "keystone", "id": "identity",
			"endpoints": []map[string]string{{
				"id": "public", "interface": "public", "region": "RegionOne", "region_id": "RegionOne",
				"url": "http://" + r.Host + "/v3/",
			}},
		}}
	}
	w.Header().Set("X-Subject-Token", token)
	writeKeystoneJSON(w, http.StatusCreated, map[string]any{"token": body})
}

func (k *fakeKeystone) validate(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	service, subject := k.tokens[r.Header.Get("X-Auth-Token")], k.tokens[r.Header.Get("X-Subject-Token")]
	k.mu.Unlock()
	switch {
	case !service:
		writeKeystoneError(w, http.StatusUnauthorized, "The request you have made requires authentication.")
	case !subject:
		writeKeystoneError(w, http.StatusNotFound, "Could not recognize Fernet token")
	default:
		writeKeystoneJSON(w, http.StatusOK, map[string]any{"token": tokenBody([]string{"password"})})
	}
}

// tokenBody is a project-scoped admin token of the fake project, valid
// for an hour.
func tokenBody(methods []string) map[string]any {
	now := time.Now().UTC()
	domain := map[string]string{"id": "default", "name": "Default"}
	return map[string]any{
		"methods":    methods,
		"user":       map[string]any{"id": "benchuser", "name": "bench", "domain": domain},
		"project":    map[string]any{"id": fakeProjectID, "name": "bench", "domain": domain},
		"roles":      []map[string]string{{"id": "r1", "name": "admin"}, {"id": "r2", "name": "member"}, {"id": "r3", "name": "reader"}},
		"is_domain":  false,
		"audit_ids":  []string{"bench"},
		"issued_at":  now.Format("2006-01-02T15:04:05.000000Z"),
		"expires_at": now.Add(time.Hour).Format("2006-01-02T15:04:05.000000Z"),
	}
}

func writeKeystoneJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeKeystoneError(w http.ResponseWriter, status int, message string) {
	writeKeystoneJSON(w, status, map[string]any{"error": map[string]any{
		"code": status, "message": message, "title": http.StatusText(status),
	}})
}
