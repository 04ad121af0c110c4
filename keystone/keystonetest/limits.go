package keystonetest

import (
	"testing"

	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/limits"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/registeredlimits"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/services"
)

// Service is a catalog service created for one test, so that the
// registered limits it gets (which are global per service and resource)
// clash with no other test's.
type Service struct {
	ID   string
	Name string

	env *Env
}

// NewService creates a service with a unique name; cleanup deletes it
// after the limits created under it.
func (e *Env) NewService(t testing.TB) *Service {
	t.Helper()
	ctx, cancel := callContext()
	defer cancel()
	name := uniqueName("picasso-test")
	s, err := services.Create(ctx, e.admin, services.CreateOpts{
		Name: name, Type: name,
	}).Extract()
	if err != nil {
		t.Fatalf("creating a service: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := callContext()
		defer cancel()
		if err := services.Delete(ctx, e.admin, s.ID).ExtractErr(); err != nil {
			t.Errorf("deleting service %s: %v", name, err)
		}
	})
	return &Service{ID: s.ID, Name: name, env: e}
}

// RegisterLimit is `openstack registered limit create --service S
// --default-limit N resource`; cleanup deletes it.
func (s *Service) RegisterLimit(t testing.TB, resource string, defaultLimit int) {
	t.Helper()
	ctx, cancel := callContext()
	defer cancel()
	created, err := registeredlimits.BatchCreate(ctx, s.env.admin, registeredlimits.BatchCreateOpts{{
		ServiceID: s.ID, ResourceName: resource, DefaultLimit: defaultLimit,
	}}).Extract()
	if err != nil || len(created) != 1 {
		t.Fatalf("registering limit %s: %d created, %v", resource, len(created), err)
	}
	t.Cleanup(func() {
		ctx, cancel := callContext()
		defer cancel()
		if err := registeredlimits.Delete(ctx, s.env.admin, created[0].ID).ExtractErr(); err != nil {
			t.Errorf("deleting registered limit %s: %v", resource, err)
		}
	})
}

// ProjectLimit is a project's override of a registered limit.
type ProjectLimit struct {
	ID      string
	service *Service
}

// SetProjectLimit is `openstack limit create --project P --service S
// --resource-limit N resource`; cleanup deletes it. The resource must be
// registered first.
func (s *Service) SetProjectLimit(t testing.TB, project *Project, resource string, limit int) *ProjectLimit {
	t.Helper()
	ctx, cancel := callContext()
	defer cancel()
	created, err := limits.BatchCreate(ctx, s.env.admin, limits.BatchCreateOpts{{
		ServiceID: s.ID, ProjectID: project.ID, ResourceName: resource, ResourceLimit: limit,
	}}).Extract()
	if err != nil || len(created) != 1 {
		t.Fatalf("setting limit %s of project %s: %d created, %v", resource, project.Name, len(created), err)
	}
	t.Cleanup(func() {
		ctx, cancel := callContext()
		defer cancel()
		if err := limits.Delete(ctx, s.env.admin, created[0].ID).ExtractErr(); err != nil {
			t.Errorf("deleting limit %s of project %s: %v", resource, project.Name, err)
		}
	})
	return &ProjectLimit{ID: created[0].ID, service: s}
}

// Update is `openstack limit set --resource-limit N`.
func (p *ProjectLimit) Update(t testing.TB, limit int) {
	t.Helper()
	ctx, cancel := callContext()
	defer cancel()
	if _, err := limits.Update(ctx, p.service.env.admin, p.ID, limits.UpdateOpts{ResourceLimit: &limit}).Extract(); err != nil {
		t.Fatalf("updating limit %s: %v", p.ID, err)
	}
}
