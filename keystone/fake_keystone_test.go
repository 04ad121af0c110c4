package keystone_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeKeystone answers the two calls a Validator makes: the service
// login and GET /v3/auth/tokens. Its knobs simulate Keystone's failures.
type fakeKeystone struct {
	srv *httptest.Server

	logins      atomic.Int64
	validations atomic.Int64

	mu           sync.Mutex
	serviceToken string
	tokens       map[string]fakeToken
	// status, when set, is the answer to every validation.
	status int
	// refuseService makes every validation answer 401, as if the
	// service token were never good.
	refuseService bool
	// gate, when set, holds validations until it is closed.
	gate chan struct{}
	// requestIDs seen on validations.
	requestIDs []string
}

type fakeToken struct {
	Body map[string]any
}

func newFakeKeystone(t testing.TB) *fakeKeystone {
	f := &fakeKeystone{tokens: map[string]fakeToken{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeKeystone) URL() string { return f.srv.URL + "/v3" }

// addToken registers a project-scoped user token.
func (f *fakeKeystone) addToken(token, projectID string, expiresAt time.Time, roles ...string) {
	roleList := make([]map[string]string, len(roles))
	for i, r := range roles {
		roleList[i] = map[string]string{"id": "id-" + r, "name": r}
	}
	f.setToken(token, map[string]any{
		"expires_at": expiresAt.UTC().Format("2006-01-02T15:04:05.000000Z"),
		"methods":    []string{"password"},
		"is_domain":  false,
		"user":       map[string]any{"id": "u-" + projectID, "name": "user", "domain": map[string]string{"id": "default"}},
		"project":    map[string]any{"id": projectID, "name": "p", "domain": map[string]string{"id": "default"}},
		"roles":      roleList,
	})
}

func (f *fakeKeystone) setToken(token string, body map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[token] = fakeToken{Body: body}
}

func (f *fakeKeystone) set(change func(f *fakeKeystone)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeKeystone) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v3/auth/tokens" {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodPost:
		n := f.logins.Add(1)
		token := fmt.Sprintf("service-token-%d", n)
		f.set(func(f *fakeKeystone) { f.serviceToken = token })
		w.Header().Set("X-Subject-Token", token)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"token":{"expires_at":%q,"methods":["password"],"catalog":[]}}`,
			time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	case http.MethodGet:
		f.validations.Add(1)
		f.mu.Lock()
		gate, status, refuse := f.gate, f.status, f.refuseService
		goodService := r.Header.Get("X-Auth-Token") == f.serviceToken
		tok, known := f.tokens[r.Header.Get("X-Subject-Token")]
		f.requestIDs = append(f.requestIDs, r.Header.Get("X-Openstack-Request-Id"))
		f.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case status != 0:
			writeError(w, status)
		case refuse || !goodService:
			writeError(w, http.StatusUnauthorized)
		case !known || r.URL.RawQuery != "nocatalog":
			writeError(w, http.StatusNotFound)
		default:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"token": tok.Body})
		}
	default:
		http.Error(w, "method", http.StatusMethodNotAllowed)
	}
}

func writeError(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"code":%d,"message":"fake","title":"%s"}}`, status, http.StatusText(status))
}
