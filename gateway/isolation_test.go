package gateway_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/gateway"
	"github.com/picasso-faas/picasso/keystone"
	"github.com/picasso-faas/picasso/keystone/keystonetest"
)

// tenant is a project and the tokens of two of its users.
type tenant struct {
	project        string
	member, reader string
}

// isolation is the tenant-isolation matrix: project B's users, an
// unscoped token, an invalid token and no token against every endpoint of
// project A, plus the mixed cases. It runs on the token table and on the
// real Keystone (isolation_keystone_test.go), with the same expectations.
type isolation struct {
	h        *harness
	a, b     tenant
	unscoped string
	// backend names of A's app "alpha" and B's app "beta".
	alpha, beta string
}

// newIsolation gives A an app "alpha" with a public and a private route
// and B an app "beta" with a public route and an app named "ALPHA", which
// differs from A's only by case.
func newIsolation(t *testing.T, h *harness, a, b tenant, unscoped string) *isolation {
	t.Helper()
	iso := &isolation{h: h, a: a, b: b, unscoped: unscoped}
	iso.alpha = h.createApp(a.project, a.member, "alpha").BackendName
	h.createRoute(a.project, a.member, "alpha", map[string]any{"path": "/pub", "image": "iron/echo", "is_public": true})
	h.createRoute(a.project, a.member, "alpha", map[string]any{"path": "/priv/x", "image": "iron/echo"})
	iso.beta = h.createApp(b.project, b.member, "beta").BackendName
	h.createRoute(b.project, b.member, "beta", map[string]any{"path": "/pub", "image": "iron/echo", "is_public": true})
	upper := h.createApp(b.project, b.member, "ALPHA").BackendName
	h.createRoute(b.project, b.member, "ALPHA", map[string]any{"path": "/pub", "image": "iron/echo", "is_public": true})
	if upper == iso.alpha {
		t.Fatalf("apps alpha of A and ALPHA of B share backend app %s", upper)
	}
	return iso
}

type attempt struct {
	method, path, body string
}

// someWebhookID has the shape of a webhook's public id; refusals must not
// depend on whether it exists.
const someWebhookID = "0123456789abcdef0123456789abcdef"

// someScheduleID is the same for a schedule's id.
const someScheduleID = "0123456789abcdef0123456789abcdef"

// projectRequests is every API operation and both private call forms on
// one project's app and route; "ghost" does not exist, so a refusal must
// not depend on existence.
func projectRequests(project, app, route string) []attempt {
	api := "/v1/" + project
	out := []attempt{
		{"GET", api + "/apps", ""},
		{"POST", api + "/apps", `{"app":{"name":"intruder"}}`},
		{"GET", api + "/apps/" + app, ""},
		{"PUT", api + "/apps/" + app, `{"description":"pwned","config":{"K":"v"}}`},
		{"DELETE", api + "/apps/" + app, ""},
		{"GET", api + "/apps/ghost", ""},
		{"DELETE", api + "/apps/ghost", ""},
		{"GET", api + "/apps/" + app + "/routes", ""},
		{"POST", api + "/apps/" + app + "/routes", `{"route":{"path":"/evil","image":"iron/evil","is_public":true}}`},
		{"GET", api + "/apps/" + app + "/routes" + route, ""},
		{"PUT", api + "/apps/" + app + "/routes" + route, `{"image":"iron/evil","is_public":"true"}`},
		{"DELETE", api + "/apps/" + app + "/routes" + route, ""},
		{"GET", api + "/apps/ghost/routes/x", ""},
		{"GET", api + "/apps/" + app + "/routes" + route + "/webhooks", ""},
		{"POST", api + "/apps/" + app + "/routes" + route + "/webhooks", `{"webhook":{"signed":false}}`},
		{"GET", api + "/apps/" + app + "/routes" + route + "/webhooks/" + someWebhookID, ""},
		{"PUT", api + "/apps/" + app + "/routes" + route + "/webhooks/" + someWebhookID, `{"enabled":false}`},
		{"DELETE", api + "/apps/" + app + "/routes" + route + "/webhooks/" + someWebhookID, ""},
		{"POST", api + "/apps/" + app + "/routes" + route + "/webhooks/" + someWebhookID + "/rotate", ""},
		{"GET", api + "/schedules", ""},
		{"POST", api + "/schedules", `{"schedule":{"name":"evil","app":"` + app + `","route_path":"` + route + `","pattern":"@hourly"}}`},
		{"GET", api + "/schedules/" + someScheduleID, ""},
		{"PUT", api + "/schedules/" + someScheduleID, `{"enabled":false}`},
		{"DELETE", api + "/schedules/" + someScheduleID, ""},
		{"POST", "/v1/r/" + project + "/" + app + route, "x"},
		{"POST", "/v1/r/" + project + "/ghost/x", "x"},
	}
	for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"} {
		out = append(out, attempt{m, "/r/" + project + "/" + app + route, ""})
	}
	return append(out, attempt{"POST", "/r/" + project + "/" + app + "/pub", "x"}, attempt{"POST", "/r/" + project + "/ghost/x", "x"})
}

// expectNoEffect sends the request and checks its status, that it is a
// JSON error, and that it changed nothing and ran no function.
func (iso *isolation) expectNoEffect(t *testing.T, token string, req attempt, status int) {
	t.Helper()
	before, calls := iso.h.state(t), len(iso.h.fake.Calls())
	resp := iso.h.do(t, req.method, req.path, token, jsonBody(req.body))
	if req.method == http.MethodHead {
		// A HEAD answer has no body to check.
		if resp.Status != status {
			t.Errorf("%s %s: status %d, want %d", req.method, req.path, resp.Status, status)
		}
	} else {
		resp.expectError(t, status)
	}
	if after := iso.h.state(t); after != before {
		t.Errorf("%s %s changed the state:\nbefore %s\nafter  %s", req.method, req.path, before, after)
	}
	if n := len(iso.h.fake.Calls()); n != calls {
		t.Errorf("%s %s ran %d functions", req.method, req.path, n-calls)
	}
}

func (iso *isolation) run(t *testing.T) {
	intruders := []struct {
		name, token string
		status      int
	}{
		{"member of B", iso.b.member, http.StatusForbidden},
		{"reader of B", iso.b.reader, http.StatusForbidden},
		{"unscoped token", iso.unscoped, http.StatusForbidden},
		{"invalid token", "gAAAAABinvalid-token", http.StatusUnauthorized},
		{"no token", "", http.StatusUnauthorized},
	}
	for _, who := range intruders {
		t.Run(who.name, func(t *testing.T) {
			for _, req := range projectRequests(iso.a.project, "alpha", "/priv/x") {
				iso.expectNoEffect(t, who.token, req, who.status)
			}
		})
	}

	t.Run("public form of a private route", func(t *testing.T) {
		for _, token := range []string{"", iso.a.member, iso.b.member} {
			for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH"} {
				iso.expectNoEffect(t, token, attempt{m, "/r/" + iso.alpha + "/priv/x", "x"}, http.StatusNotFound)
			}
		}
	})

	t.Run("A's token on B's URLs", func(t *testing.T) {
		for _, token := range []string{iso.a.member, iso.a.reader} {
			for _, req := range projectRequests(iso.b.project, "beta", "/pub") {
				iso.expectNoEffect(t, token, req, http.StatusForbidden)
			}
		}
	})

	t.Run("A's public route through B's private URL", func(t *testing.T) {
		for _, path := range []string{
			"/r/" + iso.b.project + "/alpha/pub",
			"/v1/r/" + iso.b.project + "/alpha/pub",
			"/r/" + iso.b.project + "/" + iso.alpha + "/pub",
			"/v1/r/" + iso.b.project + "/" + iso.alpha + "/pub",
		} {
			iso.expectNoEffect(t, iso.b.member, attempt{"POST", path, "x"}, http.StatusNotFound)
		}
		// The control: B's own route answers on the same URL form.
		iso.h.do(t, "POST", "/r/"+iso.b.project+"/beta/pub", iso.b.member, jsonBody("x")).expect(t, http.StatusOK)
	})

	t.Run("names differing by case or Unicode form", func(t *testing.T) {
		upperA := strings.ToUpper(iso.a.project)
		if upperA == iso.a.project {
			t.Fatalf("project id %s has no letters to change the case of", iso.a.project)
		}
		// Another spelling of A's project id is another project.
		for _, req := range projectRequests(upperA, "alpha", "/priv/x") {
			iso.expectNoEffect(t, iso.a.member, req, http.StatusForbidden)
		}
		notFound := []attempt{
			{"GET", "/v1/" + iso.a.project + "/apps/Alpha", ""},
			{"GET", "/v1/" + iso.a.project + "/apps/ALPHA", ""},
			{"DELETE", "/v1/" + iso.a.project + "/apps/ALPHA", ""},
			{"GET", "/v1/" + iso.a.project + "/apps/%EF%BD%81lpha", ""},            // fullwidth "a"
			{"GET", "/v1/" + iso.a.project + "/apps/alph%C3%A1", ""},               // "alphá" precomposed
			{"GET", "/v1/" + iso.a.project + "/apps/alpha%CC%81", ""},              // "alpha" + combining acute
			{"GET", "/v1/" + iso.a.project + "/apps/alpha/routes/PUB", ""},         // route paths are case-sensitive
			{"GET", "/v1/" + iso.a.project + "/apps/alpha/routes/%EF%BD%90ub", ""}, // fullwidth "p"
			{"POST", "/r/" + iso.a.project + "/ALPHA/pub", "x"},
			{"POST", "/r/" + iso.a.project + "/alpha/PUB", "x"},
			{"POST", "/r/" + iso.a.project + "/alpha/%EF%BD%90ub", "x"},
			{"POST", "/r/" + iso.a.project + "/alph%C3%A1/pub", "x"},
			{"POST", "/r/" + strings.ToUpper(iso.alpha) + "/pub", "x"},
		}
		for _, req := range notFound {
			iso.expectNoEffect(t, iso.a.member, req, http.StatusNotFound)
		}
		for _, name := range []string{"alph\u00e1", "alpha\u0301", "\uff41lpha", "alpha\u200b"} {
			iso.expectNoEffect(t, iso.a.member, attempt{"POST", "/v1/" + iso.a.project + "/apps", `{"app":{"name":"` + name + `"}}`}, http.StatusBadRequest)
		}
		// B's "ALPHA" is B's alone: A's member cannot see it, and A's
		// "alpha" still runs A's function.
		iso.h.do(t, "POST", "/r/"+iso.a.project+"/alpha/pub", iso.a.member, jsonBody("x")).expect(t, http.StatusOK)
		if calls := iso.h.fake.Calls(); calls[len(calls)-1].App != iso.alpha {
			t.Errorf("A's URL ran %s, want A's app %s", calls[len(calls)-1].App, iso.alpha)
		}
		if picasso.BackendName(iso.a.project, "alpha") != iso.alpha {
			t.Errorf("A's backend name is not derived from A's project")
		}
	})
}

func TestTenantIsolation(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := tenant{project: projA, member: "member-a", reader: "reader-a"}
		b := tenant{project: projB, member: "member-b", reader: "reader-b"}
		newIsolation(t, h, a, b, "unscoped").run(t)
	})
}

// TestTenantIsolationKeystone runs the same matrix with real users and
// tokens of the real Keystone, the real validator and the default policy.
func TestTenantIsolationKeystone(t *testing.T) {
	env := keystonetest.Connect(t)
	validator := newKeystoneValidator(t, env.ServiceOptions())
	h := newHarness(t, sqliteURI(t), withKeystone(validator))
	projectA, projectB := env.NewProject(t), env.NewProject(t)
	memberA := env.NewUser(t, projectA, "member")
	a := tenant{project: projectA.ID, member: memberA.Token(t), reader: env.NewUser(t, projectA, "reader").Token(t)}
	b := tenant{project: projectB.ID, member: env.NewUser(t, projectB, "member").Token(t), reader: env.NewUser(t, projectB, "reader").Token(t)}
	newIsolation(t, h, a, b, env.UnscopedToken(t)).run(t)

	t.Run("revoked token", func(t *testing.T) {
		token := memberA.Token(t)
		env.Revoke(t, token)
		h.do(t, "GET", "/v1/"+a.project+"/apps/alpha", token, nil).expectError(t, http.StatusUnauthorized)
		h.do(t, "POST", "/r/"+a.project+"/alpha/priv/x", token, jsonBody("x")).expectError(t, http.StatusUnauthorized)
	})
}

func newKeystoneValidator(t *testing.T, opts keystone.Options) *keystone.Validator {
	t.Helper()
	opts.Logger = slog.New(slog.DiscardHandler)
	v, err := keystone.NewValidator(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

// withKeystone makes the harness authenticate with the validator and
// authorize with the default policy, as picasso-api does.
func withKeystone(v *keystone.Validator) harnessOption {
	return func(_ *gateway.Config, d *gateway.Deps) {
		d.Auth = v
		d.Policy = keystone.DefaultPolicy()
	}
}
