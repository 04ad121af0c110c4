package keystone_test

import (
	"testing"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/keystone"
)

func TestDefaultPolicy(t *testing.T) {
	scoped := func(project string, roles ...string) *picasso.Identity {
		return &picasso.Identity{UserID: "u", ProjectID: project, Roles: roles}
	}
	// Tokens list implied roles, so a member token also holds reader.
	reader := scoped("p1", "reader")
	member := scoped("p1", "member", "reader")
	admin := scoped("admin-project", "admin", "member", "reader")
	unscoped := &picasso.Identity{UserID: "u"}
	other := scoped("p1", "service")

	cases := []struct {
		name    string
		id      *picasso.Identity
		project string
		action  picasso.Action
		message string // empty: allowed
	}{
		{"reader reads", reader, "p1", picasso.ActionRead, ""},
		{"reader writes", reader, "p1", picasso.ActionWrite, "One of the roles member, admin is required to write"},
		{"reader invokes", reader, "p1", picasso.ActionInvoke, "One of the roles member, admin is required to invoke"},
		{"member reads", member, "p1", picasso.ActionRead, ""},
		{"member writes", member, "p1", picasso.ActionWrite, ""},
		{"member invokes", member, "p1", picasso.ActionInvoke, ""},
		{"member on another project", member, "p2", picasso.ActionRead, "Token project does not match project p2"},
		{"admin on any project", admin, "p2", picasso.ActionWrite, ""},
		{"unscoped", unscoped, "p1", picasso.ActionRead, "Token is not scoped to a project"},
		{"unknown role", other, "p1", picasso.ActionRead, "One of the roles reader, member, admin is required to read"},
		{"unknown action", member, "p1", picasso.Action("delete-everything"), "No role may delete-everything"},
	}
	policy := keystone.DefaultPolicy()
	for _, c := range cases {
		err := policy.Authorize(c.id, c.project, c.action)
		if c.message == "" {
			if err != nil {
				t.Errorf("%s: %v, want allowed", c.name, err)
			}
			continue
		}
		if !picasso.IsCode(err, picasso.EFORBIDDEN) || picasso.ErrorMessage(err) != c.message {
			t.Errorf("%s: %v, want forbidden %q", c.name, err, c.message)
		}
	}
}

func TestConfiguredPolicy(t *testing.T) {
	roles := map[picasso.Action][]string{picasso.ActionRead: {"viewer"}}
	policy := keystone.NewPolicy("cloud-admin", roles)
	roles[picasso.ActionRead] = append(roles[picasso.ActionRead], "intruder") // the policy keeps its own copy

	viewer := &picasso.Identity{ProjectID: "p1", Roles: []string{"viewer"}}
	if err := policy.Authorize(viewer, "p1", picasso.ActionRead); err != nil {
		t.Errorf("viewer read: %v", err)
	}
	intruder := &picasso.Identity{ProjectID: "p1", Roles: []string{"intruder"}}
	if err := policy.Authorize(intruder, "p1", picasso.ActionRead); err == nil {
		t.Error("a role added to the caller's map after NewPolicy was accepted")
	}
	admin := &picasso.Identity{ProjectID: "p1", Roles: []string{"admin"}}
	if err := policy.Authorize(admin, "p2", picasso.ActionRead); err == nil {
		t.Error("the default admin role crossed projects although the admin role is cloud-admin")
	}
	cloudAdmin := &picasso.Identity{ProjectID: "p1", Roles: []string{"cloud-admin"}}
	if err := policy.Authorize(cloudAdmin, "p2", picasso.ActionWrite); err != nil {
		t.Errorf("cloud-admin: %v", err)
	}
}

func TestNoAuthActsOnAnyProject(t *testing.T) {
	id, err := keystone.NoAuth{}.Authenticate(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, action := range []picasso.Action{picasso.ActionRead, picasso.ActionWrite, picasso.ActionInvoke} {
		if err := keystone.DefaultPolicy().Authorize(id, "any-project", action); err != nil {
			t.Errorf("%s: %v", action, err)
		}
	}
}
