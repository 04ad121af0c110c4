// Package keystonetest gives integration tests of any package a real
// Keystone to work against: the one scripts/keystone.sh starts. Tests
// create their own projects and users (unique names, deleted at cleanup),
// so they can run in parallel against one shared Keystone.
//
//	eval "$(scripts/keystone.sh start)"
//	go test ./...
//
// Without OS_AUTH_URL, or when Keystone does not answer, Connect skips the
// test (fails it in CI, see testenv).
package keystonetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"

	"github.com/picasso-faas/picasso/internal/testenv"
	"github.com/picasso-faas/picasso/keystone"
)

// Environment variables, as `scripts/keystone.sh env` prints them.
const (
	AuthURLVar         = "OS_AUTH_URL"
	AdminUsernameVar   = "OS_ADMIN_USERNAME"
	AdminPasswordVar   = "OS_ADMIN_PASSWORD"
	AdminProjectVar    = "OS_ADMIN_PROJECT_NAME"
	ServiceUserVar     = "PICASSO_KEYSTONE_SERVICE_USER"
	ServicePasswordVar = "PICASSO_KEYSTONE_SERVICE_PASSWORD"
	ServiceProjectVar  = "PICASSO_KEYSTONE_SERVICE_PROJECT"
)

// callTimeout bounds every call the helpers make to Keystone.
const callTimeout = 30 * time.Second

// Env is a reachable Keystone with its admin and service credentials.
type Env struct {
	AuthURL         string
	AdminUsername   string
	AdminPassword   string
	AdminProject    string
	ServiceUser     string
	ServicePassword string
	ServiceProject  string

	admin *gophercloud.ServiceClient

	mu    sync.Mutex
	roles map[string]string // role name → id
}

// Project is a project created for one test.
type Project struct {
	ID   string
	Name string
}

// User is a user created for one test, holding Role on Project.
type User struct {
	ID       string
	Name     string
	Password string
	Role     string
	Project  *Project

	env *Env
}

// Connect returns the Keystone the environment names, logged in as admin.
func Connect(t testing.TB) *Env {
	t.Helper()
	e := &Env{
		AuthURL:         os.Getenv(AuthURLVar),
		AdminUsername:   envOr(AdminUsernameVar, "admin"),
		AdminPassword:   os.Getenv(AdminPasswordVar),
		AdminProject:    envOr(AdminProjectVar, "admin"),
		ServiceUser:     os.Getenv(ServiceUserVar),
		ServicePassword: os.Getenv(ServicePasswordVar),
		ServiceProject:  envOr(ServiceProjectVar, "service"),
		roles:           map[string]string{},
	}
	if e.AuthURL == "" || e.AdminPassword == "" || e.ServiceUser == "" || e.ServicePassword == "" {
		testenv.Unavailable(t, "Keystone: set %s, %s, %s and %s (eval \"$(scripts/keystone.sh start)\")",
			AuthURLVar, AdminPasswordVar, ServiceUserVar, ServicePasswordVar)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	provider, err := openstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{
		IdentityEndpoint: e.AuthURL,
		Username:         e.AdminUsername,
		Password:         e.AdminPassword,
		DomainName:       "Default",
		Scope:            &gophercloud.AuthScope{ProjectName: e.AdminProject, DomainName: "Default"},
		AllowReauth:      true,
	})
	if err != nil {
		testenv.Unavailable(t, "Keystone at %s: %v", e.AuthURL, err)
	}
	e.admin = e.client(provider)
	return e
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// v3URL is AuthURL with exactly one trailing slash.
func (e *Env) v3URL() string { return strings.TrimSuffix(e.AuthURL, "/") + "/" }

func (e *Env) client(provider *gophercloud.ProviderClient) *gophercloud.ServiceClient {
	return &gophercloud.ServiceClient{ProviderClient: provider, Endpoint: e.v3URL(), Type: "identity"}
}

// clientWithToken is an identity client acting with someone's token.
func (e *Env) clientWithToken(t testing.TB, token string) *gophercloud.ServiceClient {
	t.Helper()
	provider, err := openstack.NewClient(e.AuthURL)
	if err != nil {
		t.Fatal(err)
	}
	provider.SetToken(token)
	return e.client(provider)
}

// ServiceOptions configures a keystone.Validator as Picasso's service user,
// with the default cache TTL.
func (e *Env) ServiceOptions() keystone.Options {
	return keystone.Options{
		AuthURL:     e.AuthURL,
		Username:    e.ServiceUser,
		Password:    e.ServicePassword,
		ProjectName: e.ServiceProject,
		CacheTTL:    keystone.DefaultCacheTTL,
	}
}

func callContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), callTimeout)
}

func uniqueName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// issueToken asks Keystone for a token with the given "auth" object.
func (e *Env) issueToken(t testing.TB, auth map[string]any) string {
	t.Helper()
	body, err := json.Marshal(map[string]any{"auth": auth})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := callContext()
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.v3URL()+"auth/tokens?nocatalog", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("issuing a token: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("issuing a token: status %s", resp.Status)
	}
	return resp.Header.Get("X-Subject-Token")
}

func passwordIdentity(name, password string) map[string]any {
	return map[string]any{
		"methods": []string{"password"},
		"password": map[string]any{"user": map[string]any{
			"name": name, "domain": map[string]string{"id": "default"}, "password": password,
		}},
	}
}

// AdminToken is a token of the admin user scoped to the admin project.
func (e *Env) AdminToken(t testing.TB) string {
	t.Helper()
	return e.issueToken(t, map[string]any{
		"identity": passwordIdentity(e.AdminUsername, e.AdminPassword),
		"scope":    map[string]any{"project": map[string]any{"name": e.AdminProject, "domain": map[string]string{"id": "default"}}},
	})
}

// UnscopedToken is a token of the admin user scoped to nothing: no
// project, no roles.
func (e *Env) UnscopedToken(t testing.TB) string {
	t.Helper()
	return e.issueToken(t, map[string]any{
		"identity": passwordIdentity(e.AdminUsername, e.AdminPassword),
		"scope":    "unscoped",
	})
}

// Token is a password token of the user scoped to its project.
func (u *User) Token(t testing.TB) string {
	t.Helper()
	return u.env.issueToken(t, map[string]any{
		"identity": passwordIdentity(u.Name, u.Password),
		"scope":    map[string]any{"project": map[string]string{"id": u.Project.ID}},
	})
}
