package keystone

import (
	"slices"
	"strings"

	"github.com/picasso-faas/picasso"
)

// DefaultAdminRole may act on every project.
const DefaultAdminRole = "admin"

// DefaultRoles is Picasso's role policy: which roles may do what, within
// the project the token is scoped to.
//
//	action   reader  member  admin
//	read       ✓       ✓       ✓
//	write              ✓       ✓
//	invoke             ✓       ✓
func DefaultRoles() map[picasso.Action][]string {
	return map[picasso.Action][]string{
		picasso.ActionRead:   {"reader", "member", "admin"},
		picasso.ActionWrite:  {"member", "admin"},
		picasso.ActionInvoke: {"member", "admin"},
	}
}

// Policy implements picasso.Authorizer. The rules, in order:
//  1. a token not scoped to a project is refused;
//  2. the admin role may do anything on any project;
//  3. otherwise the token's project must be the project acted on;
//  4. and the identity must hold one of the roles listed for the action
//     (an action not in the table is refused).
type Policy struct {
	adminRole string
	roles     map[picasso.Action][]string
}

var _ picasso.Authorizer = (*Policy)(nil)

// NewPolicy returns a policy with the given admin role and role table;
// an empty adminRole means no role bypasses the project check.
func NewPolicy(adminRole string, roles map[picasso.Action][]string) *Policy {
	table := make(map[picasso.Action][]string, len(roles))
	for action, names := range roles {
		table[action] = slices.Clone(names)
	}
	return &Policy{adminRole: adminRole, roles: table}
}

// DefaultPolicy is NewPolicy(DefaultAdminRole, DefaultRoles()).
func DefaultPolicy() *Policy { return NewPolicy(DefaultAdminRole, DefaultRoles()) }

// Authorize returns nil when id may perform action on projectID and an
// EFORBIDDEN error saying why not otherwise.
func (p *Policy) Authorize(id *picasso.Identity, projectID string, action picasso.Action) error {
	if id.ProjectID == "" {
		return picasso.Errorf(picasso.EFORBIDDEN, "Token is not scoped to a project")
	}
	if p.adminRole != "" && id.HasRole(p.adminRole) {
		return nil
	}
	if id.ProjectID != projectID {
		return picasso.Errorf(picasso.EFORBIDDEN, "Token project does not match project %s", projectID)
	}
	allowed := p.roles[action]
	if slices.ContainsFunc(allowed, id.HasRole) {
		return nil
	}
	if len(allowed) == 0 {
		return picasso.Errorf(picasso.EFORBIDDEN, "No role may %s", action)
	}
	return picasso.Errorf(picasso.EFORBIDDEN, "One of the roles %s is required to %s", strings.Join(allowed, ", "), action)
}

var _ picasso.AdminChecker = (*Policy)(nil)

// IsAdmin reports whether id holds the admin role (rule 2 of Authorize),
// within a project-scoped token.
func (p *Policy) IsAdmin(id *picasso.Identity) bool {
	return id.ProjectID != "" && p.adminRole != "" && id.HasRole(p.adminRole)
}
