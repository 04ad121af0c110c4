package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// identity is the Keystone of a run: the service account Picasso logs in
// with, and a user token whose project owns the benchmark's apps.
type identity struct {
	kind            string // keystoneFake or keystoneReal
	authURL         string
	serviceUser     string
	servicePassword string
	serviceProject  string
	userToken       string
	projectID       string
}

// credentials names a password login scoped to a project.
type credentials struct {
	user, password, project, domain string
}

// newIdentity logs in as the admin of a real Keystone (the variables
// `scripts/keystone.sh env` prints) or of the fake one at fakeURL.
func newIdentity(ctx context.Context, kind, fakeURL string, getenv func(string) string) (*identity, error) {
	id := &identity{kind: kind}
	user := credentials{domain: "Default"}
	if kind == keystoneReal {
		id.authURL = getenv("OS_AUTH_URL")
		id.serviceUser = getenv("PICASSO_KEYSTONE_SERVICE_USER")
		id.servicePassword = getenv("PICASSO_KEYSTONE_SERVICE_PASSWORD")
		id.serviceProject = getenv("PICASSO_KEYSTONE_SERVICE_PROJECT")
		user.user, user.password, user.project = getenv("OS_ADMIN_USERNAME"), getenv("OS_ADMIN_PASSWORD"), getenv("OS_ADMIN_PROJECT_NAME")
		if d := getenv("OS_USER_DOMAIN_NAME"); d != "" {
			user.domain = d
		}
		for name, v := range map[string]string{
			"OS_AUTH_URL": id.authURL, "OS_ADMIN_USERNAME": user.user, "OS_ADMIN_PASSWORD": user.password,
			"OS_ADMIN_PROJECT_NAME": user.project, "PICASSO_KEYSTONE_SERVICE_USER": id.serviceUser,
			"PICASSO_KEYSTONE_SERVICE_PASSWORD": id.servicePassword, "PICASSO_KEYSTONE_SERVICE_PROJECT": id.serviceProject,
		} {
			if v == "" {
				return nil, fmt.Errorf("--keystone real needs %s (eval \"$(scripts/keystone.sh start)\")", name)
			}
		}
	} else {
		id.authURL = fakeURL + "/v3"
		id.serviceUser, id.servicePassword, id.serviceProject = "picasso", "fake", "service"
		user.user, user.password, user.project = "bench", "fake", "bench"
	}
	var err error
	id.userToken, id.projectID, err = issueToken(ctx, id.authURL, user)
	if err != nil {
		return nil, err
	}
	return id, nil
}

// issueToken logs in with a password and returns the token and the id
// of its project.
func issueToken(ctx context.Context, authURL string, c credentials) (token, projectID string, err error) {
	login := map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"name": c.user, "password": c.password, "domain": map[string]string{"name": c.domain},
		}}},
		"scope": map[string]any{"project": map[string]any{"name": c.project, "domain": map[string]string{"name": c.domain}}},
	}}
	raw, _ := json.Marshal(login)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(authURL, "/")+"/auth/tokens?nocatalog", bytes.NewReader(raw))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("keystone login: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		return "", "", fmt.Errorf("keystone login as %s: HTTP %d: %s", c.user, resp.StatusCode, body)
	}
	var out struct {
		Token struct {
			Project struct {
				ID string `json:"id"`
			} `json:"project"`
		} `json:"token"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Token.Project.ID == "" {
		return "", "", fmt.Errorf("keystone login as %s: no project in the token (%v)", c.user, err)
	}
	return resp.Header.Get("X-Subject-Token"), out.Token.Project.ID, nil
}
