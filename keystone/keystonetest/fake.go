package keystonetest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

// FakeProjectID is the project of every token a Fake issues at login.
const FakeProjectID = "0b5e1c7a9d2f4e6a8c0b1d3f5a7c9e2b"

// Fake is an in-process stand-in for Keystone's token API, for the edge
// cases a real Keystone cannot be made to show on demand and for the
// benchmark when no real Keystone is configured. It answers
//
//   - GET /v3: the version document;
//   - POST /v3/auth/tokens: any login, 201 with the token in
//     X-Subject-Token and a project-scoped admin token of FakeProjectID as
//     the body, with a catalog pointing at itself unless ?nocatalog;
//   - GET /v3/auth/tokens?nocatalog: 401 unless X-Auth-Token is a token
//     it issued; 200 for X-Subject-Token a token it issued or one
//     registered with AddToken or SetToken; 404 otherwise, and without
//     ?nocatalog, which Picasso always sends.
//
// Bodies have the shapes of docs/keystone.md, A3. Its knobs simulate
// Keystone's failures. A Fake is an http.Handler; serve it with httptest.
type Fake struct {
	// Logins and Validations count the requests of each kind.
	Logins, Validations atomic.Int64

	// status, when not 0, answers every validation.
	status atomic.Int64
	// refuseService answers every validation 401, as if no service token
	// were ever good.
	refuseService atomic.Bool
	// gate, when set, holds validations until it is closed.
	gate atomic.Pointer[chan struct{}]

	mu         sync.Mutex
	issued     map[string]bool
	tokens     map[string]map[string]any
	requestIDs []string
	url        string
}

// NewFake returns a Fake that knows no token yet.
func NewFake() *Fake {
	return &Fake{issued: map[string]bool{}, tokens: map[string]map[string]any{}}
}

// AddToken registers a user token scoped to projectID with the roles.
func (f *Fake) AddToken(token, projectID string, expiresAt time.Time, roles ...string) {
	roleList := make([]map[string]string, len(roles))
	for i, r := range roles {
		roleList[i] = map[string]string{"id": "id-" + r, "name": r}
	}
	f.SetToken(token, map[string]any{
		"expires_at": formatTime(expiresAt),
		"methods":    []string{"password"},
		"is_domain":  false,
		"user":       map[string]any{"id": "u-" + projectID, "name": "user", "domain": map[string]string{"id": "default"}},
		"project":    map[string]any{"id": projectID, "name": "p", "domain": map[string]string{"id": "default"}},
		"roles":      roleList,
	})
}

// SetToken registers a user token whose validation answers body (the
// object under "token").
func (f *Fake) SetToken(token string, body map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[token] = body
}

// FailValidations makes every validation answer status; 0 restores the
// normal answers.
func (f *Fake) FailValidations(status int) { f.status.Store(int64(status)) }

// RefuseServiceTokens makes every validation answer 401 while refuse is
// true, whatever service token it carries.
func (f *Fake) RefuseServiceTokens(refuse bool) { f.refuseService.Store(refuse) }

// ExpireLogins forgets the tokens issued so far, as if they had expired:
// a validation that carries one as service token answers 401.
func (f *Fake) ExpireLogins() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.issued)
}

// HoldValidations makes validations wait until gate is closed (or their
// client gives up); nil lets them through again.
func (f *Fake) HoldValidations(gate chan struct{}) {
	if gate == nil {
		f.gate.Store(nil)
		return
	}
	f.gate.Store(&gate)
}

// RequestIDs returns the X-Openstack-Request-Id of every validation so far.
func (f *Fake) RequestIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requestIDs)
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case path == "/v3" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"version": map[string]any{
			"id": "v3.14", "status": "stable",
			"links": []map[string]string{{"rel": "self", "href": "http://" + r.Host + "/v3/"}},
		}})
	case path == "/v3/auth/tokens" && r.Method == http.MethodPost:
		f.login(w, r)
	case path == "/v3/auth/tokens" && r.Method == http.MethodGet:
		f.validate(w, r)
	default:
		writeError(w, http.StatusNotFound, "The resource could not be found.")
	}
}

func (f *Fake) login(w http.ResponseWriter, r *http.Request) {
	f.Logins.Add(1)
	var login struct {
		Auth struct {
			Identity struct {
				Methods []string `json:"methods"`
			} `json:"identity"`
		} `json:"auth"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&login); err != nil || len(login.Auth.Identity.Methods) == 0 {
		writeError(w, http.StatusBadRequest, "Expecting to find identity in auth.")
		return
	}
	b := make([]byte, 32)
	rand.Read(b)
	token := hex.EncodeToString(b)
	f.mu.Lock()
	f.issued[token] = true
	f.mu.Unlock()
	body := issuedTokenBody(login.Auth.Identity.Methods)
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
	writeJSON(w, http.StatusCreated, map[string]any{"token": body})
}

func (f *Fake) validate(w http.ResponseWriter, r *http.Request) {
	f.Validations.Add(1)
	subject := r.Header.Get("X-Subject-Token")
	f.mu.Lock()
	goodService := f.issued[r.Header.Get("X-Auth-Token")]
	body, registered := f.tokens[subject]
	if !registered && f.issued[subject] {
		body, registered = issuedTokenBody([]string{"password"}), true
	}
	f.requestIDs = append(f.requestIDs, r.Header.Get(picasso.RequestIDHeader))
	f.mu.Unlock()
	if gate := f.gate.Load(); gate != nil {
		select {
		case <-*gate:
		case <-r.Context().Done():
			return
		}
	}
	switch status := int(f.status.Load()); {
	case status != 0:
		writeError(w, status, "fake")
	case f.refuseService.Load() || !goodService:
		writeError(w, http.StatusUnauthorized, "The request you have made requires authentication.")
	case !registered || r.URL.RawQuery != "nocatalog":
		writeError(w, http.StatusNotFound, "Could not recognize Fernet token")
	default:
		writeJSON(w, http.StatusOK, map[string]any{"token": body})
	}
}

// issuedTokenBody is a project-scoped admin token of FakeProjectID, valid
// for an hour.
func issuedTokenBody(methods []string) map[string]any {
	now := time.Now()
	domain := map[string]string{"id": "default", "name": "Default"}
	return map[string]any{
		"methods":    methods,
		"user":       map[string]any{"id": "fakeuser", "name": "fake", "domain": domain},
		"project":    map[string]any{"id": FakeProjectID, "name": "fake", "domain": domain},
		"roles":      []map[string]string{{"id": "r1", "name": "admin"}, {"id": "r2", "name": "member"}, {"id": "r3", "name": "reader"}},
		"is_domain":  false,
		"audit_ids":  []string{"fake"},
		"issued_at":  formatTime(now),
		"expires_at": formatTime(now.Add(time.Hour)),
	}
}

// formatTime writes a time as Keystone does: RFC 3339 in UTC with
// microseconds.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": status, "message": message, "title": http.StatusText(status),
	}})
}

// StartFake serves a new Fake until the test ends.
func StartFake(t testing.TB) *Fake {
	f := NewFake()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.url = srv.URL + "/v3"
	return f
}

// URL is the identity endpoint of a Fake started with StartFake.
func (f *Fake) URL() string { return f.url }
