package keystone

import (
	"time"

	"github.com/picasso-faas/picasso"
)

// tokenBody is the part of Keystone's GET /v3/auth/tokens answer Picasso
// reads (docs/keystone.md, A3).
type tokenBody struct {
	Token struct {
		ExpiresAt time.Time `json:"expires_at"`
		Methods   []string  `json:"methods"`
		IsDomain  bool      `json:"is_domain"`
		User      struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Domain struct {
				ID string `json:"id"`
			} `json:"domain"`
		} `json:"user"`
		Project *struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Domain struct {
				ID string `json:"id"`
			} `json:"domain"`
		} `json:"project"`
		Roles []struct {
			Name string `json:"name"`
		} `json:"roles"`
		ApplicationCredential *struct {
			ID string `json:"id"`
		} `json:"application_credential"`
		Trust *struct {
			ID string `json:"id"`
		} `json:"OS-TRUST:trust"`
	} `json:"token"`
}

// identity converts the body. Only a token scoped to a normal project gets
// a ProjectID: unscoped, domain-, system- and is_domain-scoped tokens come
// back without one, and the Policy refuses them.
func (b *tokenBody) identity() *picasso.Identity {
	t := &b.Token
	id := &picasso.Identity{
		UserID:       t.User.ID,
		UserName:     t.User.Name,
		UserDomainID: t.User.Domain.ID,
		ExpiresAt:    t.ExpiresAt,
		Methods:      t.Methods,
		Roles:        make([]string, 0, len(t.Roles)),
	}
	if t.Project != nil && !t.IsDomain {
		id.ProjectID = t.Project.ID
		id.ProjectName = t.Project.Name
		id.ProjectDomainID = t.Project.Domain.ID
	}
	for _, r := range t.Roles {
		id.Roles = append(id.Roles, r.Name)
	}
	if t.ApplicationCredential != nil {
		id.AppCredentialID = t.ApplicationCredential.ID
	}
	if t.Trust != nil {
		id.TrustID = t.Trust.ID
	}
	return id
}
