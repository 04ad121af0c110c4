package keystone

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
)

// identityV3URL turns the configured auth URL into the v3 endpoint with
// the trailing slash gophercloud expects (".../v3/").
func identityV3URL(authURL string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("keystone: auth URL %q is not an http(s) URL", authURL)
	}
	path := strings.TrimSuffix(u.Path, "/")
	if !strings.HasSuffix(path, "/v3") {
		path += "/v3"
	}
	u.Path = path + "/"
	return u.String(), nil
}

func (o *Options) authOptions(endpoint string) (gophercloud.AuthOptions, error) {
	switch {
	case o.AppCredentialID != "" && o.AppCredentialSecret != "":
		return gophercloud.AuthOptions{
			IdentityEndpoint:            endpoint,
			ApplicationCredentialID:     o.AppCredentialID,
			ApplicationCredentialSecret: o.AppCredentialSecret,
			AllowReauth:                 true,
		}, nil
	case o.Username != "" && o.Password != "":
		return gophercloud.AuthOptions{
			IdentityEndpoint: endpoint,
			Username:         o.Username,
			Password:         o.Password,
			DomainName:       o.UserDomainName,
			Scope:            &gophercloud.AuthScope{ProjectName: o.ProjectName, DomainName: o.ProjectDomainName},
			AllowReauth:      true,
		}, nil
	}
	return gophercloud.AuthOptions{}, errors.New("keystone: set a service username and password or an application credential id and secret")
}

// serviceClient returns the logged-in identity client, logging in first
// when there is none yet. Concurrent callers share one login.
func (v *Validator) serviceClient(ctx context.Context) (*gophercloud.ServiceClient, error) {
	if c := v.client.Load(); c != nil {
		return c, nil
	}
	c, err, _ := v.login.Do("login", func() (any, error) {
		if c := v.client.Load(); c != nil {
			return c, nil
		}
		c, err := v.logIn(ctx)
		if err != nil {
			return nil, err
		}
		v.client.Store(c)
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return c.(*gophercloud.ServiceClient), nil
}

// logIn authenticates the service user. AllowReauth makes the provider
// log in again by itself whenever Keystone answers 401 to the service
// token, e.g. once it expired, and retry the request once.
//
// The client talks to AuthURL, not to the identity endpoint of the
// catalog: inside a deployment the catalog's public URL may not be
// reachable, while the operator configured AuthURL for exactly this.
func (v *Validator) logIn(ctx context.Context) (*gophercloud.ServiceClient, error) {
	ctx, cancel := context.WithTimeout(ctx, v.opts.Timeout)
	defer cancel()
	provider, err := openstack.NewClient(v.endpoint)
	if err != nil {
		return nil, err
	}
	provider.HTTPClient = http.Client{Transport: v.transport}
	v.counters.logins.Add(1)
	if err := openstack.Authenticate(ctx, provider, v.authOpts); err != nil {
		if gophercloud.ResponseCodeIs(err, 401) {
			v.log.Error("keystone: the service user's credentials are refused; check the service user configuration", "error", err)
		} else {
			v.log.Warn("keystone: service login failed", "error", err)
		}
		return nil, err
	}
	return &gophercloud.ServiceClient{ProviderClient: provider, Endpoint: v.endpoint, Type: "identity"}, nil
}
