package keystonetest

import (
	"testing"

	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/applicationcredentials"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/projects"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/roles"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/trusts"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/users"
)

// NewProject creates a project with a unique name; cleanup deletes it.
func (e *Env) NewProject(t testing.TB) *Project {
	t.Helper()
	ctx, cancel := callContext()
	defer cancel()
	p, err := projects.Create(ctx, e.admin, projects.CreateOpts{
		Name: uniqueName("picasso-test"), DomainID: "default",
	}).Extract()
	if err != nil {
		t.Fatalf("creating a project: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := callContext()
		defer cancel()
		if err := projects.Delete(ctx, e.admin, p.ID).ExtractErr(); err != nil {
			t.Errorf("deleting project %s: %v", p.Name, err)
		}
	})
	return &Project{ID: p.ID, Name: p.Name}
}

// NewUser creates a user holding role on project, with no default project
// (so that its unscoped requests stay unscoped); cleanup deletes it.
func (e *Env) NewUser(t testing.TB, project *Project, role string) *User {
	t.Helper()
	roleID := e.roleID(t, role)
	ctx, cancel := callContext()
	defer cancel()
	u := &User{Name: uniqueName("picasso-user"), Password: uniqueName("pw"), Role: role, Project: project, env: e}
	created, err := users.Create(ctx, e.admin, users.CreateOpts{
		Name: u.Name, DomainID: "default", Password: u.Password,
	}).Extract()
	if err != nil {
		t.Fatalf("creating a user: %v", err)
	}
	u.ID = created.ID
	t.Cleanup(func() {
		ctx, cancel := callContext()
		defer cancel()
		if err := users.Delete(ctx, e.admin, u.ID).ExtractErr(); err != nil {
			t.Errorf("deleting user %s: %v", u.Name, err)
		}
	})
	err = roles.Assign(ctx, e.admin, roleID, roles.AssignOpts{UserID: u.ID, ProjectID: project.ID}).ExtractErr()
	if err != nil {
		t.Fatalf("giving role %s to a user: %v", role, err)
	}
	return u
}

func (e *Env) roleID(t testing.TB, name string) string {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if id, ok := e.roles[name]; ok {
		return id
	}
	ctx, cancel := callContext()
	defer cancel()
	pages, err := roles.List(e.admin, roles.ListOpts{Name: name}).AllPages(ctx)
	if err != nil {
		t.Fatalf("listing roles: %v", err)
	}
	found, err := roles.ExtractRoles(pages)
	if err != nil || len(found) != 1 {
		t.Fatalf("role %q: found %d (%v)", name, len(found), err)
	}
	e.roles[name] = found[0].ID
	return found[0].ID
}

// Revoke revokes a token.
func (e *Env) Revoke(t testing.TB, token string) {
	t.Helper()
	ctx, cancel := callContext()
	defer cancel()
	if err := tokens.Revoke(ctx, e.admin, token).Err; err != nil {
		t.Fatalf("revoking a token: %v", err)
	}
}

// AppCredentialToken creates an application credential of the user (for
// its project and role) and returns a token obtained with it.
func (e *Env) AppCredentialToken(t testing.TB, user *User) string {
	t.Helper()
	client := e.clientWithToken(t, user.Token(t))
	ctx, cancel := callContext()
	defer cancel()
	cred, err := applicationcredentials.Create(ctx, client, user.ID, applicationcredentials.CreateOpts{
		Name: uniqueName("picasso-appcred"),
	}).Extract()
	if err != nil {
		t.Fatalf("creating an application credential: %v", err)
	}
	// Deleted explicitly, before the user: when Keystone deletes a user's
	// credentials itself it leaves their role rows behind on SQLite (no
	// foreign key enforcement), and SQLite reuses the freed internal ids,
	// so every later credential would collide with them (409).
	t.Cleanup(func() {
		ctx, cancel := callContext()
		defer cancel()
		if err := applicationcredentials.Delete(ctx, e.admin, user.ID, cred.ID).ExtractErr(); err != nil {
			t.Errorf("deleting an application credential: %v", err)
		}
	})
	return e.issueToken(t, map[string]any{"identity": map[string]any{
		"methods":                []string{"application_credential"},
		"application_credential": map[string]string{"id": cred.ID, "secret": cred.Secret},
	}})
}

// TrustToken does what Aodh does for a trust+http alarm action: the
// trustor delegates its role on its project to the service user, with
// impersonation; then the service user gets a token scoped to the trust.
func (e *Env) TrustToken(t testing.TB, trustor *User) string {
	t.Helper()
	trustee := e.serviceUserID(t)
	client := e.clientWithToken(t, trustor.Token(t))
	ctx, cancel := callContext()
	defer cancel()
	trust, err := trusts.Create(ctx, client, trusts.CreateOpts{
		TrustorUserID: trustor.ID,
		TrusteeUserID: trustee,
		ProjectID:     trustor.Project.ID,
		Impersonation: true,
		Roles:         []trusts.Role{{Name: trustor.Role}},
	}).Extract()
	if err != nil {
		t.Fatalf("creating a trust: %v", err)
	}
	return e.issueToken(t, map[string]any{
		"identity": passwordIdentity(e.ServiceUser, e.ServicePassword),
		"scope":    map[string]any{"OS-TRUST:trust": map[string]string{"id": trust.ID}},
	})
}

func (e *Env) serviceUserID(t testing.TB) string {
	t.Helper()
	ctx, cancel := callContext()
	defer cancel()
	pages, err := users.List(e.admin, users.ListOpts{Name: e.ServiceUser, DomainID: "default"}).AllPages(ctx)
	if err != nil {
		t.Fatalf("listing users: %v", err)
	}
	found, err := users.ExtractUsers(pages)
	if err != nil || len(found) != 1 {
		t.Fatalf("service user %q: found %d (%v)", e.ServiceUser, len(found), err)
	}
	return found[0].ID
}
