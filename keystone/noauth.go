package keystone

import (
	"context"
	"time"

	"github.com/picasso-faas/picasso"
)

// NoAuthProjectID is the project of the development identity. The
// identity holds the admin role, so the Policy lets it act on any project.
const NoAuthProjectID = "noauth"

// NoAuth is the development mode: it accepts every request, with or
// without a token, as an administrator, so that Picasso runs without a
// Keystone. It must only ever listen on loopback; the server refuses to
// start it on any other address.
type NoAuth struct{}

var _ picasso.Authenticator = NoAuth{}

// Authenticate ignores the token and returns the development identity.
func (NoAuth) Authenticate(context.Context, string) (*picasso.Identity, error) {
	return &picasso.Identity{
		UserID:          "noauth",
		UserName:        "noauth",
		UserDomainID:    "default",
		ProjectID:       NoAuthProjectID,
		ProjectName:     NoAuthProjectID,
		ProjectDomainID: "default",
		Roles:           []string{DefaultAdminRole, "member", "reader"},
		ExpiresAt:       time.Now().Add(time.Hour),
		Methods:         []string{"noauth"},
	}, nil
}
